#!/usr/bin/env bash
# Times the reference (diffusers, on the same torch/libtorch version as sdxl-gen) on the same work as
# `sdxl-gen bench`: full-size SDXL 1.0 base UNet forward at batch 1 and 2 (one CFG step) and a VAE decode,
# random weights, median of --repeat runs after one warm-up. Sets up its own virtual environment (.venv-ref).
# Usage: scripts/bench_reference.sh [SIZE=1024x1024] [DTYPE=fp32|bf16] [THREADS=nproc] [REPEAT=3]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/torch_version.sh
SIZE=${1:-1024x1024}; DTYPE=${2:-fp32}; THREADS=${3:-$(nproc)}; REPEAT=${4:-3}
if [ ! -x .venv-ref/bin/python ]; then python3 -m venv .venv-ref; fi
if ! .venv-ref/bin/python -c "import diffusers, torch" 2>/dev/null; then
  .venv-ref/bin/pip install -q --no-deps "torch==$TORCH_VERSION" "${TORCH_CUDA_EXTRAS[@]}"
  .venv-ref/bin/pip install -q "diffusers==0.27.2" "huggingface_hub<0.26" numpy pillow safetensors regex \
    requests importlib_metadata typing_extensions sympy filelock networkx jinja2 fsspec "setuptools<82"
fi
.venv-ref/bin/python - "$SIZE" "$DTYPE" "$THREADS" "$REPEAT" <<'PY'
import json, statistics, sys, time
import torch
from diffusers import UNet2DConditionModel, AutoencoderKL
size, dtype_name, threads, repeat = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
torch.set_num_threads(threads)
w, h = (int(v) for v in size.lower().split("x"))
dtype = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}[dtype_name]
dev = "cuda" if torch.cuda.is_available() else "cpu"
unet_cfg = dict(sample_size=128, act_fn="silu", addition_embed_type="text_time", addition_time_embed_dim=256,
    attention_head_dim=[5, 10, 20], block_out_channels=[320, 640, 1280], cross_attention_dim=2048,
    down_block_types=["DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"], in_channels=4,
    layers_per_block=2, out_channels=4, projection_class_embeddings_input_dim=2816,
    transformer_layers_per_block=[1, 2, 10], up_block_types=["CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"],
    use_linear_projection=True, norm_num_groups=32)
def timed(f):
    f()
    if dev == "cuda": torch.cuda.synchronize()
    ts = []
    for _ in range(repeat):
        t0 = time.perf_counter(); f()
        if dev == "cuda": torch.cuda.synchronize()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts)
out = {"impl": "diffusers-0.27.2", "torch": torch.__version__, "threads": threads, "dtype": dtype_name,
       "device": dev, "size": size, "repeat": repeat}
with torch.inference_mode():
    unet = UNet2DConditionModel(**unet_cfg).to(dev, dtype).eval()
    for b in (1, 2):
        x = torch.randn(b, 4, h // 8, w // 8, device=dev, dtype=dtype)
        t = torch.full((b,), 500.0, device=dev)
        ctx = torch.randn(b, 77, 2048, device=dev, dtype=dtype)
        cond = {"text_embeds": torch.randn(b, 1280, device=dev, dtype=dtype),
                "time_ids": torch.tensor([[h, w, 0, 0, h, w]] * b, device=dev, dtype=dtype)}
        out["unet_forward_b1_s" if b == 1 else "unet_forward_s"] = timed(
            lambda: unet(x, t, encoder_hidden_states=ctx, added_cond_kwargs=cond))
    del unet
    vae = AutoencoderKL(in_channels=3, out_channels=3, latent_channels=4, block_out_channels=[128, 256, 512, 512],
        down_block_types=["DownEncoderBlock2D"] * 4, up_block_types=["UpDecoderBlock2D"] * 4, layers_per_block=2,
        sample_size=1024, scaling_factor=0.13025).to(dev, dtype).eval()
    z = torch.randn(1, 4, h // 8, w // 8, device=dev, dtype=dtype) * 0.1
    out["vae_decode_s"] = timed(lambda: vae.decode(z))
print(json.dumps(out))
PY
