#!/usr/bin/env bash
# Issue 27's check of `--reproducible` on a real-size model: the same request with --threads 1 and --threads 2,
# in the reproducible mode and in the normal mode, per dtype. Exit 0 only when every reproducible pair gives
# byte-identical PNGs. Prints, per dtype: whether each pair is identical (else the PNG difference and the final
# latents' largest difference relative to their largest magnitude), and the seconds per sampling step of each
# run (the base stage's time / steps, from --json) with the mode's cost against the normal mode at the same
# thread count.
# Usage: scripts/repro_check.sh MODEL [SIZE=256x256] [STEPS=2] [DTYPES="fp32 bf16"]
#   MODES="repro" runs only the reproducible mode (default: "default repro").
#   MODEL: tiny, or a full-size checkpoint (scripts/make_random_checkpoint.py writes one with random weights);
#   full size: run it under `/work/heavy.sh --bench` or alone on the machine (the timings are ratios).
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
GEN="${SDXL_GEN:-$ROOT/build/sdxl-gen}"
PY="${PYTHON:-$ROOT/.venv-ref/bin/python}"
MODEL="$1" SIZE="${2:-256x256}" STEPS="${3:-2}" DTYPES="${4:-fp32 bf16}" MODES="${MODES:-default repro}"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
REQ=(--model "$MODEL" --size "$SIZE" --steps "$STEPS" --quiet --json --prompt "a lighthouse at dusk" --seed 11)
status=0

run() {  # NAME THREADS [FLAGS...]: one process; its seconds per step into $T/NAME.step
  local name="$1" threads="$2"; shift 2
  # The latents file's path is part of the request the PNG records: the same path for every run.
  if ! "$GEN" "${REQ[@]}" --threads "$threads" "$@" --out "$T/$name.png" --save-latents "$T/latents.safetensors" \
      > "$T/$name.json" 2> "$T/$name.log"; then
    echo "| $name | failed: $(tail -1 "$T/$name.log") |"; status=1; return 1
  fi
  mv "$T/latents.safetensors" "$T/$name.safetensors"
  "$PY" -c 'import json, sys; print(json.loads(open(sys.argv[1]).readline())["timings"]["base_s"] / int(sys.argv[2]))' \
    "$T/$name.json" "$STEPS" > "$T/$name.step"
  echo "$name: $(cat "$T/$name.step") s per step" >&2
}

differ() {  # A B: how two runs' outputs differ
  local png lat
  png=$("$GEN" compare "$T/$1.png" "$T/$2.png" | awk '/max_abs_diff/{m=$2} /differing_pixels/{d=$2} END{print "PNG max diff " m ", " d " pixels differ"}')
  lat=$("$PY" - "$T/$1.safetensors" "$T/$2.safetensors" <<'PY'
import sys
from safetensors.torch import load_file
a, b = (load_file(p)["latents"].double() for p in sys.argv[1:3])
d = (a - b).abs()
print(f"latents: {int((d > 0).sum())}/{d.numel()} differ, max rel {d.max().item() / a.abs().max().item():.2e}")
PY
)
  echo "$png; $lat"
}

same() {  # A B
  if cmp -s "$T/$1.png" "$T/$2.png"; then echo "**identical bytes**"; else differ "$1" "$2"; fi
}

echo "| $(basename "$MODEL") $SIZE, $STEPS steps | result |"
echo "|---|---|"
for dt in $DTYPES; do
  D=(--dtype "$dt" --vae-dtype "$dt")
  if [[ " $MODES " == *" default "* ]]; then run "$dt-default-1" 1 "${D[@]}"; run "$dt-default-2" 2 "${D[@]}"; fi
  if [[ " $MODES " == *" repro "* ]]; then
    run "$dt-repro-1" 1 "${D[@]}" --reproducible; run "$dt-repro-2" 2 "${D[@]}" --reproducible
  fi
  [ -f "$T/$dt-default-2.png" ] && [ -f "$T/$dt-default-1.png" ] &&
    echo "| $dt, normal mode: 2 threads vs 1 | $(same "$dt-default-1" "$dt-default-2") |"
  if [ -f "$T/$dt-repro-1.png" ] && [ -f "$T/$dt-repro-2.png" ]; then
    echo "| $dt, \`--reproducible\`: 2 threads vs 1 | $(same "$dt-repro-1" "$dt-repro-2") |"
    cmp -s "$T/$dt-repro-1.png" "$T/$dt-repro-2.png" || status=1
  fi
  for th in 1 2; do
    if [ -f "$T/$dt-default-$th.step" ] && [ -f "$T/$dt-repro-$th.step" ]; then
      n=$(cat "$T/$dt-default-$th.step") r=$(cat "$T/$dt-repro-$th.step")
      echo "| $dt, $th thread(s): seconds per step, normal / \`--reproducible\` | $(printf '%.2f / %.2f (x%.2f)' "$n" "$r" "$(echo "$r / $n" | bc -l)") |"
    fi
  done
done
exit $status
