#!/usr/bin/env bash
# README's "time to a finished image" table: each row is one run of the real command, prompt to PNG, on the
# full-size SDXL 1.0 base with random weights (a single-file checkpoint written once by
# scripts/make_random_checkpoint.py, 6.9 GB; a random TAESDXL folder for row d). Load time is reported apart.
#   a      defaults: 30 Euler steps, CFG 5, fp32          a-ref  the same in diffusers (fp32, same torch)
#   b      defaults with --dtype auto (bf16 here)
#   c      4 Euler steps, trailing, CFG off, full VAE      c-ref  the same in diffusers (fp32)
#   d      c with the tiny autoencoder (--vae TAESDXL)
# Usage: scripts/bench_recipes.sh SIZE ROW [ROW...]   e.g. scripts/bench_recipes.sh 512x512 a a-ref b c c-ref d
# One JSON line per row on stdout. Run it on an otherwise idle machine: the rows take 1 to 35 minutes each.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=$1; shift
DIR=build/bench; CKPT=$DIR/sd_xl_base_random.safetensors; TAE=$DIR/taesdxl_random
PROMPT="a red fox in the snow"
[ -x build/sdxl-gen ] || scripts/bootstrap.sh
scripts/reference_env.sh >/dev/null
mkdir -p "$DIR"
[ -f "$CKPT" ] || .venv-ref/bin/python scripts/make_random_checkpoint.py tests/fixtures/sdxl_keys/sd_xl_base_1.0.json "$CKPT"
if [ ! -f "$TAE/config.json" ]; then  # TAESDXL is diffusers' default AutoencoderTiny configuration
  .venv-ref/bin/python - "$TAE" <<'EOF'
import sys, torch
from diffusers import AutoencoderTiny
sys.path.insert(0, "scripts")
from bench_reference import randomize
with torch.no_grad():
    randomize(AutoencoderTiny()).save_pretrained(sys.argv[1])
EOF
fi
export OMP_WAIT_POLICY=PASSIVE

ours() {  # ROW FLAGS...: the CLI's own summary line gives load and generate seconds
  local row=$1; shift
  local t0 t1 log
  t0=$(date +%s.%N)
  log=$(build/sdxl-gen --model "$CKPT" --prompt "$PROMPT" --size "$SIZE" --seed 1 --overwrite \
        --out "$DIR/ours-$row-$SIZE.png" "$@" 2>&1 | tail -n 1)
  t1=$(date +%s.%N)
  python3 - "$row" "$SIZE" "$t0" "$t1" "$log" "$*" <<'EOF'
import json, re, sys
row, size, t0, t1, log, flags = sys.argv[1:]
num = lambda pat: float(re.search(pat, log).group(1))
print(json.dumps({"row": row, "impl": "sdxl-gen", "size": size, "flags": flags, "load_s": round(num(r"load ([0-9.e+-]+) s"), 2),
                  "generate_s": round(num(r"generate ([0-9.e+-]+) s"), 2), "wall_s": round(float(t1) - float(t0), 2),
                  "peak_rss_mb": num(r"peak RSS ([0-9]+) MiB")}))
EOF
}

reference() {  # ROW OPTIONS...
  local row=$1; shift
  echo "{\"row\": \"$row\", $(.venv-ref/bin/python scripts/bench_recipes_reference.py --size "$SIZE" \
        --prompt "$PROMPT" --out "$DIR/ref-$row-$SIZE.png" "$@" | cut -c2-)"
}

FAST=(--steps 4 --sampler euler --timestep-spacing trailing --cfg 0)
for row in "$@"; do
  case $row in
    a) ours a --dtype fp32 --vae-dtype fp32 ;;
    a-ref) reference a-ref --steps 30 --cfg 5 ;;
    b) ours b --dtype auto ;;
    c) ours c --dtype auto "${FAST[@]}" ;;
    c-ref) reference c-ref --steps 4 --cfg 0 --spacing trailing ;;
    d) ours d --dtype auto "${FAST[@]}" --vae "$TAE" ;;
    *) echo "unknown row $row (a a-ref b c c-ref d)" >&2; exit 2 ;;
  esac
done
