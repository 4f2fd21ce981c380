#!/usr/bin/env bash
# What changes an sdxl-gen image between thread counts and CPU code paths (issue 27's measurement): one request
# run with --threads 1 and 2, under ISA caps (ONEDNN_MAX_CPU_ISA, MKL_CBWR, ATEN_CPU_CAPABILITY) and in
# --reproducible mode, fp32 and bf16; each PNG compared with the same dtype's 1-thread default run.
# Usage: scripts/repro_measure.sh MODEL [SIZE] [STEPS] [DTYPES]   (MODEL: tiny or a checkpoint; full size under
# `flock /tmp/heavy.lock`; VARIANTS="default-2 repro-1 repro-2" runs only those). Prints a markdown table and the
# seconds of each run.
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
GEN="${SDXL_GEN:-$ROOT/build/sdxl-gen}"
MODEL="$1" SIZE="${2:-256x256}" STEPS="${3:-2}" DTYPES="${4:-fp32 bf16}"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
REQ=(--model "$MODEL" --size "$SIZE" --steps "$STEPS" --quiet --prompt "a lighthouse at dusk" --seed 11 --metadata none)

VARIANTS="${VARIANTS:-default-2 onednn-avx2-2 mkl-avx2-2 aten-avx2-2 repro-1 repro-2 repro-mkl-avx2-only-2}"
run() {  # NAME THREADS [ENV...] -- [FLAGS...]
  local name="$1" threads="$2"; shift 2
  [[ "$name" == *-default-1 || " $VARIANTS " == *" ${name#*-} "* ]] || return 0
  local envs=(); while [ "$1" != "--" ]; do envs+=("$1"); shift; done; shift
  local start=$(date +%s.%N)
  env "${envs[@]}" "$GEN" "${REQ[@]}" --threads "$threads" "$@" --out "$T/$name.png" 2> "$T/$name.log" ||
    { echo "| $name | failed: $(tail -1 "$T/$name.log") |"; return; }
  echo "$name $(echo "$(date +%s.%N) - $start" | bc)" >> "$T/times"
}
cmp_to() {  # A B -> "identical" or the figures
  if cmp -s "$T/$1.png" "$T/$2.png"; then echo "identical bytes"; return; fi
  "$GEN" compare "$T/$1.png" "$T/$2.png" | awk '/max_abs_diff/{m=$2} /differing_pixels/{d=$2} END{print "max diff " m ", " d " pixels differ"}'
}
echo "| $MODEL $SIZE, $STEPS steps | vs 1 thread default |"
echo "|---|---|"
for dt in $DTYPES; do
  D=(--dtype "$dt" --vae-dtype "$dt")
  run "$dt-default-1" 1 -- "${D[@]}"
  run "$dt-default-2" 2 -- "${D[@]}"
  run "$dt-onednn-avx2-2" 2 ONEDNN_MAX_CPU_ISA=AVX2 -- "${D[@]}"
  run "$dt-mkl-avx2-2" 2 MKL_CBWR=AVX2 -- "${D[@]}"
  run "$dt-aten-avx2-2" 2 ATEN_CPU_CAPABILITY=avx2 -- "${D[@]}"
  run "$dt-repro-1" 1 -- "${D[@]}" --reproducible
  run "$dt-repro-2" 2 -- "${D[@]}" --reproducible
  run "$dt-repro-mkl-avx2-only-2" 2 MKL_ENABLE_INSTRUCTIONS=AVX2 -- "${D[@]}" --reproducible
  for v in default-2 onednn-avx2-2 mkl-avx2-2 aten-avx2-2 repro-1; do
    [ -f "$T/$dt-$v.png" ] && echo "| $dt: ${v} | $(cmp_to "$dt-default-1" "$dt-$v") |"
  done
  [ -f "$T/$dt-repro-2.png" ] && echo "| $dt: repro-2 vs repro-1 | $(cmp_to "$dt-repro-1" "$dt-repro-2") |"
  [ -f "$T/$dt-repro-mkl-avx2-only-2.png" ] &&
    echo "| $dt: repro with MKL_ENABLE_INSTRUCTIONS=AVX2 vs repro-1 | $(cmp_to "$dt-repro-1" "$dt-repro-mkl-avx2-only-2") |"
done
echo; echo "seconds per run (whole command, loaded machine):"; cat "$T/times"
