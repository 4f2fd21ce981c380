"""Pillow's Lanczos resize (the web UIs' "Lanczos" hires upscaler) of a fixture image, for io/lanczos.h.

Usage (from the repository root, after scripts/reference_env.sh):
    .venv-ref/bin/python tests/pipeline/data/make_lanczos_golden.py
Writes tests/fixtures/hires_golden/lanczos_<W>x<H>.png: tests/fixtures/pipeline_golden/base_euler_4_cfg5.png
(64x96) resized with Image.resize((W, H), Image.LANCZOS), up and down, uneven factors included.
"""
import os

from PIL import Image

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
FIX = os.path.join(ROOT, "tests", "fixtures")


def main():
    out = os.path.join(FIX, "hires_golden")
    os.makedirs(out, exist_ok=True)
    src = Image.open(os.path.join(FIX, "pipeline_golden", "base_euler_4_cfg5.png")).convert("RGB")
    for w, h in [(96, 144), (104, 120), (40, 56)]:
        src.resize((w, h), Image.LANCZOS).save(os.path.join(out, f"lanczos_{w}x{h}.png"))


if __name__ == "__main__":
    main()
