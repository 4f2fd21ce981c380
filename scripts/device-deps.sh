#!/usr/bin/env bash
# Run HERE (with internet) before a GPU session: fetches what scripts/device-check.sh needs on a GPU machine
# that has PyTorch, CMake, ninja and nvcc but no internet and no apt, into .device-deps/ (git-ignored; name
# it in the device tool's `carry`):
#   .device-deps/debs/  Debian packages of the header-only build dependencies (CLI11, nlohmann-json, stb)
#                       and GoogleTest, unpacked there with dpkg -x (not installed);
#   .device-deps/whl/   diffusers 0.27.2 and the huggingface_hub it imports, for the reference timing.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .device-deps/debs .device-deps/whl
(cd .device-deps/debs && apt-get download libcli11-dev nlohmann-json3-dev libstb-dev libgtest-dev)
PIP=(python3 -m pip)
[ -x .venv-ref/bin/pip ] && PIP=(.venv-ref/bin/pip)
"${PIP[@]}" download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux2014_x86_64 -d .device-deps/whl \
  "diffusers==0.27.2" "huggingface_hub==0.25.2" "importlib_metadata==8.5.0"
du -sh .device-deps
