#!/usr/bin/env bash
# Runs the whole test suite (builds first if needed).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f build/build.ninja ] || scripts/bootstrap.sh
# The stage order (docs/architecture.md): no stage includes a later one, include/sdxl/ nothing from src/.
python3 scripts/check_stage_includes.py
cmake --build build -j"$(nproc)"
cd build && ctest --output-on-failure -j1 "$@"
