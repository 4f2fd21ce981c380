#!/usr/bin/env bash
# The CPU figures of README's performance table: sdxl-gen (fp32, bf16) and the reference (diffusers on the
# same torch version, fp32) on one machine, full-size SDXL base, random weights, one JSON line each.
# Usage: scripts/bench_cpu.sh [SIZE=512x512] [REPEAT=3] [REF_BATCHES=1,2]
# (REF_BATCHES=2 skips the reference's batch-1 forward, which takes minutes at 1024x1024.)
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${1:-512x512}; REPEAT=${2:-3}; REF_BATCHES=${3:-1,2}
[ -x build/sdxl-gen ] || scripts/bootstrap.sh
export OMP_WAIT_POLICY=PASSIVE
for dtype in fp32 bf16; do
  echo "sdxl-gen $dtype: $(build/sdxl-gen bench --device cpu --size "$SIZE" --dtype "$dtype" --vae-dtype "$dtype" \
    --steps 2 --repeat "$REPEAT" --json)"
done
echo "reference fp32: $(scripts/bench_reference.sh "$SIZE" fp32 "$(nproc)" "$REPEAT" --batches "$REF_BATCHES")"
