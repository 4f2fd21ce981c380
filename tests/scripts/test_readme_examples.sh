#!/usr/bin/env bash
# Every `build/sdxl-gen` command in README.md's code blocks runs as written (the tiny model and the test fixtures;
# blocks marked `<!-- readme-examples: skip (REASON) -->` excepted), each exiting 0: scripts/readme_examples.py.
# ~1 min on 2 busy cores. Needs SDXL_GEN (the built executable; CMake passes it).
set -euo pipefail
cd "$(dirname "$0")/../.."
python3 scripts/readme_examples.py --sdxl-gen "${SDXL_GEN:?the built sdxl-gen}"
