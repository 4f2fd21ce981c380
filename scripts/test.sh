#!/usr/bin/env bash
# Runs the whole test suite (builds first if needed).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f build/build.ninja ] || scripts/bootstrap.sh
cmake --build build -j"$(nproc)"
scripts/client_env.sh  # the HTTP clients the server tests drive (label "server")
cd build && ctest --output-on-failure -j1 "$@"
