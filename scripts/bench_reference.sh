#!/usr/bin/env bash
# Times the reference (diffusers, on the same torch/libtorch version as sdxl-gen) on the same work as
# `sdxl-gen bench`: full-size SDXL 1.0 base UNet forward at batch 1 and 2 (one CFG step) and a VAE decode,
# random weights, median of --repeat runs after one warm-up. Uses the pinned reference environment (.venv-ref, scripts/reference_env.sh).
# Usage: scripts/bench_reference.sh [SIZE=1024x1024] [DTYPE=fp32|bf16] [THREADS=nproc] [REPEAT=3] [OPTIONS...]
# OPTIONS pass to scripts/bench_reference.py (e.g. --batches 2 --steps 2 --skip-vae).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/torch_version.sh
SIZE=${1:-1024x1024}; DTYPE=${2:-fp32}; THREADS=${3:-$(nproc)}; REPEAT=${4:-3}
shift $(( $# < 4 ? $# : 4 ))
scripts/reference_env.sh
.venv-ref/bin/python scripts/bench_reference.py --size "$SIZE" --dtype "$DTYPE" --threads "$THREADS" --repeat "$REPEAT" "$@"
