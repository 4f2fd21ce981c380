#!/usr/bin/env bash
# Runs the whole test suite (builds first if needed).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f build/build.ninja ] || scripts/bootstrap.sh
# The stage order (docs/architecture.md): no stage includes a later one, include/sdxl/ nothing from src/.
python3 scripts/check_stage_includes.py
# Every header compiling on its own is checked by scripts/check_headers.py (173 headers, ~5 min on 2 cores:
# run it before merging header changes; too slow for every test run).
cmake --build build -j"$(nproc)"
scripts/client_env.sh  # the HTTP clients the server tests drive (label "server")
cd build && ctest --output-on-failure -j1 "$@"
