#!/usr/bin/env bash
# Prints libtorch's CMake prefix inside .venv without importing torch (no Python deps needed).
set -euo pipefail
cd "$(dirname "$0")/.."
site=$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
echo "$site/torch/share/cmake"
