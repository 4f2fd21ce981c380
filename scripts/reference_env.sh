#!/usr/bin/env bash
# Sets up (idempotently) the pinned Python environment of the reference implementations in .venv-ref:
# every golden generator script under scripts/ and tests/ and the reference benchmark run with it.
# torch is the same version as sdxl-gen's libtorch; packages that depend on torch are installed with
# --no-deps so pip never pulls a second torch or its ~3 GB of nvidia-* wheels.
# opencv: the web UIs' mask blur (cv2.GaussianBlur) for the inpainting goldens; --no-deps because its wheel
# asks for numpy>=2 while transformers 4.44 needs numpy<2 (it runs on 1.26 for what the goldens use).
# pillow 12.3.0: Pillow 13.0 resizes with the vertical pass first when the height shrinks by more than twice as
# many pixels as the width (python-pillow/Pillow#9549), which rounds differently at 8 bits; every Pillow before it,
# the web UI's pin (9.5.0, requirements_versions.txt) included, runs the horizontal pass first, as src/io/lanczos.h.
# Usage: scripts/reference_env.sh            (then run .venv-ref/bin/python SCRIPT)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/torch_version.sh
# torchvision 0.26.0 is the release built against torch 2.11.0.
NO_DEPS=("torch==$TORCH_VERSION" "torchvision==0.26.0" "diffusers==0.27.2" "peft==0.11.1" "accelerate==0.33.0"
         "open_clip_torch==2.24.0" "timm==0.9.16" "lycoris-lora==2.2.0.post3"
         "opencv-python-headless==4.14.0.94")
WITH_DEPS=("huggingface_hub==0.25.2" "transformers==4.44.2" "ftfy==6.3.1" "numpy==1.26.4" sentencepiece "pillow==12.3.0" safetensors regex requests
           importlib_metadata typing_extensions sympy filelock networkx jinja2 fsspec "setuptools<82" psutil pyyaml
           tqdm einops toml packaging)
STAMP=.venv-ref/.pins-$(printf '%s\n' "${NO_DEPS[@]}" "${WITH_DEPS[@]}" "${TORCH_CUDA_EXTRAS[@]}" | sha256sum | cut -c1-12)
if [ ! -x .venv-ref/bin/python ]; then python3 -m venv .venv-ref; fi
if [ ! -f "$STAMP" ]; then
  .venv-ref/bin/pip install -q --no-deps "${NO_DEPS[@]}" "${TORCH_CUDA_EXTRAS[@]}"
  .venv-ref/bin/pip install -q "${WITH_DEPS[@]}"
  touch "$STAMP"
fi
