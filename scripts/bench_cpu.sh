#!/usr/bin/env bash
# The CPU figures of README's performance table: sdxl-gen (fp32, bf16) and the reference (diffusers on the
# same torch version) on one machine, full-size SDXL base, random weights. Usage: scripts/bench_cpu.sh [SIZE] [REPEAT]
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${1:-512x512}; REPEAT=${2:-1}
[ -x build/sdxl-gen ] || scripts/bootstrap.sh
for dtype in fp32 bf16; do
  echo "sdxl-gen $dtype: $(build/sdxl-gen bench --device cpu --size "$SIZE" --dtype "$dtype" --vae-dtype "$dtype" --steps 1 --repeat "$REPEAT" --json)"
done
for dtype in fp32 bf16; do
  echo "reference $dtype: $(scripts/bench_reference.sh "$SIZE" "$dtype" "$(nproc)" "$REPEAT")"
done
