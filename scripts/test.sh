#!/usr/bin/env bash
# Runs the whole test suite (builds first if needed).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f build/build.ninja ] || scripts/bootstrap.sh
# The build holds every source to the stage order (docs/architecture.md): a stage sees only its own headers
# and those of the stages it links.
cmake --build build -j"$(nproc)"
# Every header compiles on its own, with its stage's include folders only (a hidden include cannot hide behind
# the unity build; a header cannot reach a later stage even where no source of its stage includes it).
# Verdicts are cached per header in build/ (keyed on the header and what it includes): about a second when no
# header changed; a fresh build folder pays the whole check once (clang: about a minute on 2 cores).
JOBS="$(nproc)" python3 scripts/check_headers.py
scripts/client_env.sh  # the HTTP clients the server tests drive (label "server")
cd build && ctest --output-on-failure -j1 "$@"
