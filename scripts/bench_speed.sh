#!/usr/bin/env bash
# Issue 28's speed ratios on this machine: every figure is matrix work per second as a fraction of the dense
# GEMM rate measured in the same process (absolute seconds move between machines of one kind; ratios do not),
# full-size SDXL base and VAE with random weights (`sdxl-gen bench`).
# Usage: scripts/bench_speed.sh [SIZE=1024x1024] [REPEAT=2] [fp32]
#   bf16: UNet forward (batch 1), the 4-step no-CFG loop with the tiny autoencoder (the Lightning-style recipe),
#         the full VAE decode; with `fp32` also the fp32 UNet forward and VAE decode (minutes more at 1024x1024).
# Extra arguments after those go to every `sdxl-gen bench` call (e.g. --profile).
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${1:-1024x1024}; REPEAT=${2:-2}; FP32=${3:-}
shift $(( $# < 3 ? $# : 3 ))
[ -x build/sdxl-gen ] || scripts/bootstrap.sh
export OMP_WAIT_POLICY=PASSIVE
out=$(mktemp); trap 'rm -f "$out"' EXIT
build/sdxl-gen bench --device cpu --size "$SIZE" --dtype bf16 --vae-dtype bf16 --cfg 0 --steps 4 \
  --repeat "$REPEAT" --only text,unet,loop,vae,tiny --json "$@" >>"$out"
if [ "$FP32" = fp32 ]; then
  build/sdxl-gen bench --device cpu --size "$SIZE" --dtype fp32 --vae-dtype fp32 --repeat "$REPEAT" \
    --only unet,vae --json "$@" >>"$out"
fi
python3 - "$out" "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs)" <<'EOF'
import json, sys
runs = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
print(f"machine: {sys.argv[2]}, {runs[0]['threads']} threads, libtorch {runs[0]['libtorch']}")
def pct(x): return f"{100 * x:.1f}%"
for r in runs:
    q, d = r["ratios"], r["dtype"]
    print(f"[{r['size']} {d}] GEMM rate {r['gemm_flops'] / 1e9:.0f} GFLOP/s "
          f"(bf16 {r['gemm_bf16_flops'] / 1e9:.0f}, fp32 {r['gemm_fp32_flops'] / 1e9:.0f})")
    if "unet_b1_rate" in q:
        print(f"  UNet forward, batch 1: {r['unet_forward_b1_s']:.2f} s, {r['unet_forward_b1_flops'] / 1e12:.2f} TFLOP"
              f" = {pct(q['unet_b1_rate'])} of the GEMM rate" + ("   (target >= 80%)" if "BFloat16" in d else "")
              + f"; first call +{q['unet_forward_b1_warmup_s']:.2f} s")
    if "step_over_forward" in q:
        print(f"  sampling step / bench forward: {q['step_over_forward']:.3f}   (target <= 1.02)")
        print(f"  4-step loop: {r['loop_s']:.2f} s = {pct(q['loop_rate'])} of ideal   (target >= 80%)")
    if "tiny_recipe_encode_decode_share" in q:
        print(f"  tiny-AE recipe: text encode {r['text_encode_s']:.2f} s + decode {r['tiny_vae_decode_s']:.2f} s = "
              f"{pct(q['tiny_recipe_encode_decode_share'])} of the total   (target <= 10%)")
    if "vae_decode_rate" in q:
        print(f"  VAE decode: {r['vae_decode_s']:.2f} s, {r['vae_decode_flops'] / 1e12:.2f} TFLOP = "
              f"{pct(q['vae_decode_rate'])} of the GEMM rate" + ("   (target >= 75%)" if "BFloat16" in d else "")
              + f"; first call +{q['vae_decode_warmup_s']:.2f} s")
for r in runs:
    print(json.dumps(r))
EOF
