"""JPEG input images and Pillow's decode of each, for io/jpeg.h (tests/io/test_jpeg.cpp).

Usage (from the repository root, after scripts/reference_env.sh):
    .venv-ref/bin/python tests/io/data/make_jpeg_goldens.py
Writes tests/io/data/<name>.jpg, saved by Pillow from the fixture image
tests/fixtures/pipeline_golden/base_euler_4_cfg5.png (64x96) with the encodings clients send (4:2:0 and 4:4:4
chroma, progressive, greyscale, an odd size with 4:2:2), and <name>.jpg.png: Image.open(jpg).convert("RGB"),
the pixels the web UI and the reference pipelines get from the same file. cmyk.jpg is a CMYK file sdxl-gen
refuses.
"""
import os

from PIL import Image, features

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))


def main():
    src = Image.open(os.path.join(ROOT, "tests", "fixtures", "pipeline_golden", "base_euler_4_cfg5.png")).convert("RGB")
    cases = {
        "photo_420": (src, dict(quality=90, subsampling=2)),
        "photo_444": (src, dict(quality=95, subsampling=0)),
        "progressive": (src, dict(quality=85, progressive=True)),
        "grey": (src.convert("L"), dict(quality=90)),
        "odd_422": (src.crop((5, 7, 42, 36)), dict(quality=80, subsampling=1)),
    }
    for name, (image, options) in cases.items():
        path = os.path.join(HERE, name + ".jpg")
        image.save(path, format="JPEG", **options)
        Image.open(path).convert("RGB").save(path + ".png")
    src.convert("CMYK").save(os.path.join(HERE, "cmyk.jpg"), format="JPEG", quality=90)
    print("libjpeg-turbo", features.version("libjpeg_turbo"))


if __name__ == "__main__":
    main()
