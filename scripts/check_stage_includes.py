#!/usr/bin/env python3
"""The stage order (docs/architecture.md), checked from the #include lines: a file of src/<stage>/ may include
headers of its own stage, of earlier stages and the public include/sdxl/ ones; include/sdxl/ may include nothing
from src/. Prints each violation as FILE:LINE: and exits 1 when there is one. Runs in well under a second."""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
# Each stage with the stages it may use (besides itself); text, unet and vae are siblings; vision (image
# encoders) reuses the text encoder's transformer blocks.
ORDER = [["common"], ["io"], ["weights"], ["text", "unet", "vae"], ["vision"], ["control"], ["sampling"], ["adapters"],
         ["pipeline"], ["batch"], ["run"], ["server"], ["cli"]]
RANK = {stage: i for i, level in enumerate(ORDER) for stage in level}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"/]+)/')


def allowed(stage, target):
    if target == "sdxl":
        return True
    if target not in RANK:
        return True  # not a stage folder (third-party or test helpers)
    return target == stage or RANK[target] < RANK[stage]


def main():
    bad = []
    for path in sorted((ROOT / "src").rglob("*")):
        if path.suffix not in (".h", ".cpp"):
            continue
        stage = path.relative_to(ROOT / "src").parts[0]
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            m = INCLUDE.match(line)
            if m and not allowed(stage, m.group(1)):
                bad.append(f"{path.relative_to(ROOT)}:{n}: stage '{stage}' includes '{m.group(1)}/'")
    for path in sorted((ROOT / "include" / "sdxl").glob("*.h")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            m = INCLUDE.match(line)
            if m and m.group(1) != "sdxl":
                bad.append(f"{path.relative_to(ROOT)}:{n}: a public header includes '{m.group(1)}/' from src/")
    for b in bad:
        print(b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
