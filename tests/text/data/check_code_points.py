#!/usr/bin/env python3
"""A wide check of the text cleaning through the executable: every code point that one of ftfy's fixes or
NFC can touch (all with a decomposition, a combining class, a table entry), plus a stride sample of the
rest, each in a few contexts, tokenized by `sdxl-gen tokenize --prompt-file` and by the two references
(transformers CLIPTokenizer + ftfy, open_clip 2.24 SimpleTokenizer). Too large to commit as a golden;
run it by hand after changing anything in src/text:

    .venv-ref/bin/python tests/text/data/check_code_points.py build/sdxl-gen

Prints the number of prompts, mismatches per encoder (and the first few), and the tokenize time.
Prompts where ftfy's mojibake repair changes anything are compared with fix_encoding=False.
"""
import json
import os
import subprocess
import sys
import tempfile
import time
import unicodedata

import ftfy
import open_clip.tokenizer as oc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_clean_golden import transformers_tokenizer  # noqa: E402


def interesting(cp):
    c = chr(cp)
    return (unicodedata.decomposition(c) or unicodedata.combining(c) or
            ftfy.fix_text(c, fix_encoding=False) != c or 0xFF00 <= cp <= 0xFFEF or 0x1100 <= cp <= 0x11FF)


def main():
    exe = sys.argv[1]
    cps = [cp for cp in range(1, 0x110000) if not 0xD800 <= cp <= 0xDFFF and (interesting(cp) or cp % 97 == 0)]
    prompts = []
    for cp in cps:
        c = chr(cp)
        prompts.append(f"a{c}b {unicodedata.normalize('NFD', c)}\u0301 x{c}\u0323\u0307")
    no_repair = lambda t: ftfy.fix_text(t, fix_encoding=False)  # noqa: E731
    with tempfile.TemporaryDirectory() as tmp:
        hf = transformers_tokenizer(tmp)
        hf.fix_text = no_repair
        oc.ftfy = type("ftfy", (), {"fix_text": staticmethod(no_repair)})
        simple = oc.SimpleTokenizer()
        path = os.path.join(tmp, "p.jsonl")
        with open(path, "w", encoding="utf-8") as f:
            for p in prompts:
                f.write(json.dumps({"prompt": p}) + "\n")
        start = time.time()
        out = subprocess.run([exe, "tokenize", "--json", "--prompt-file", path], capture_output=True, text=True,
                             check=True).stdout.splitlines()
        took = time.time() - start
    assert len(out) == len(prompts)
    bad, newer = [[], []], [0, 0]
    for cp, p, line in zip(cps, prompts, out):
        got = json.loads(line)["input_ids"]
        for enc, ids in enumerate([hf(p, add_special_tokens=False)["input_ids"], simple.encode(p)]):
            kept = ids[:75]
            pad = 49407 if enc == 0 else 0
            want = [49406] + kept + [49407] + [pad] * (75 - len(kept))
            if got[enc] == want:
                continue
            # Unassigned in Python 3.11's Unicode 14 but a letter/number in the `regex` module's newer Unicode
            # data: the pre-tokenizer follows Python's tables (src/text/generated/unicode_tables.cpp).
            if unicodedata.category(chr(cp)) == "Cn":
                newer[enc] += 1
            else:
                bad[enc].append(p)
    print(f"{len(prompts)} prompts ({len(cps)} code points), tokenize {took:.2f} s; "
          f"mismatches: encoder 1 {len(bad[0])}, encoder 2 {len(bad[1])}; at code points unassigned in Unicode "
          f"{unicodedata.unidata_version}: {newer[0]}, {newer[1]}")
    for enc in (0, 1):
        for p in bad[enc][:5]:
            print(f"  encoder {enc + 1}: {p!r}")
    sys.exit(1 if bad[0] or bad[1] else 0)


if __name__ == "__main__":
    main()
