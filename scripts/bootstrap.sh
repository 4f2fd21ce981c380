#!/usr/bin/env bash
# Idempotent setup for a fresh Debian 12 machine: Debian packages, the pinned libtorch (from the
# PyTorch wheel on PyPI) in a project-local virtual environment, then a Release build in build/.
# Re-running downloads nothing new (pip's cache) and rebuilds only what changed.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/torch_version.sh

# python3-yaml and chromium: the tests of the cluster examples (YAML syntax) and of verify's HTML report.
# clang: the header check of scripts/test.sh (its precompiled headers load lazily) and scripts/fuzz.sh.
APT_PACKAGES=(build-essential cmake ninja-build pkg-config python3-venv
              libcli11-dev nlohmann-json3-dev libstb-dev libsentencepiece-dev libgtest-dev
              python3-yaml chromium chromium-driver libopencv-imgproc-dev libcpp-httplib-dev
              libjpeg62-turbo-dev clang)
missing=()
for p in "${APT_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "bootstrap: installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi

# libtorch: the torch wheel itself (a complete libtorch) without its ~3 GB of nvidia-* runtime wheels.
# The machine's CUDA 13 toolkit provides cudart/cuBLAS/cuDNN/NCCL...; only the three libraries the
# toolkit lacks but libtorch_cuda.so links against are installed from PyPI (~230 MB).
if [ ! -x .venv/bin/python ]; then python3 -m venv .venv; fi
if ! .venv/bin/python -c "import importlib.metadata as m; assert m.version('torch') == '$TORCH_VERSION'" 2>/dev/null; then
  echo "bootstrap: installing torch==$TORCH_VERSION (libtorch) into .venv"
  .venv/bin/pip install -q --no-deps "torch==$TORCH_VERSION" "${TORCH_CUDA_EXTRAS[@]}"
fi
TORCH_CMAKE=$(scripts/torch_cmake_prefix.sh)

# Without a system CUDA toolkit, nvcc-less configure must still find CUDA libraries at run time:
# libtorch_cuda.so is always loaded, but only touches a GPU when one is asked for.
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$TORCH_CMAKE" >/dev/null
cmake --build build -j"$(nproc)"
# The Hugging Face client for scripts/get-weights.sh (a small pinned venv; its tests use it offline).
scripts/get-weights.sh --setup
echo "bootstrap: built build/sdxl-gen"
