"""Times the reference (diffusers) on the same work as `sdxl-gen bench`, with random weights.

Full-size SDXL 1.0 base UNet forward at the chosen batch sizes (batch 2 = one CFG step), optionally a whole
Euler sampling loop with CFG (`--steps`), one ControlNet step (`--controlnet`: a random ControlNetModel of the
base's encoder, as `sdxl-gen bench --control` builds it; its forward and ControlNet + UNet with the residuals on
the CFG batch, what StableDiffusionXLControlNetPipeline runs per step), and a VAE decode; one warm-up run per quantity, excluded; medians
of --repeat runs. Prints one JSON object with the same keys as `sdxl-gen bench --json`.

Run by scripts/bench_reference.sh here (its own .venv-ref with diffusers 0.27.2 on our torch version) and by
scripts/device-check.sh on a GPU machine (diffusers carried as a wheel).
"""
import argparse
import json
import statistics
import time

import diffusers
import torch
from diffusers import AutoencoderKL, ControlNetModel, EulerDiscreteScheduler, UNet2DConditionModel

UNET = dict(sample_size=128, act_fn="silu", addition_embed_type="text_time", addition_time_embed_dim=256,
            attention_head_dim=[5, 10, 20], block_out_channels=[320, 640, 1280], cross_attention_dim=2048,
            down_block_types=["DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"], in_channels=4,
            layers_per_block=2, out_channels=4, projection_class_embeddings_input_dim=2816,
            transformer_layers_per_block=[1, 2, 10],
            up_block_types=["CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"],
            use_linear_projection=True, norm_num_groups=32)
VAE = dict(in_channels=3, out_channels=3, latent_channels=4, block_out_channels=[128, 256, 512, 512],
           down_block_types=["DownEncoderBlock2D"] * 4, up_block_types=["UpDecoderBlock2D"] * 4,
           layers_per_block=2, sample_size=1024, scaling_factor=0.13025)
SCHEDULER = dict(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", num_train_timesteps=1000,
                 timestep_spacing="leading", steps_offset=1, prediction_type="epsilon")
DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}


def randomize(model):
    """The weights `sdxl-gen bench` uses (uniform, std 0.02), so both sides compute on the same kind of values
    (diffusers' default init zeroes some layers, which can change kernel speed, e.g. through denormals)."""
    a = 0.02 * 3 ** 0.5
    for p in model.parameters():
        p.uniform_(-a, a)
    return model


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="1024x1024")
    ap.add_argument("--dtype", default="fp32", choices=DTYPES)
    ap.add_argument("--vae-dtype", default=None, choices=DTYPES, help="default: --dtype")
    ap.add_argument("--threads", type=int, default=0, help="CPU threads (default: torch's)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--batches", default="1,2", help="UNet forward batch sizes to time")
    ap.add_argument("--steps", type=int, default=0, help="also time an Euler loop with CFG of this many steps")
    ap.add_argument("--controlnet", action="store_true", help="also time one ControlNet step on the CFG batch")
    ap.add_argument("--skip-vae", action="store_true")
    a = ap.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    w, h = (int(v) for v in a.size.lower().split("x"))
    dtype, vae_dtype = DTYPES[a.dtype], DTYPES[a.vae_dtype or a.dtype]
    dev = "cuda" if torch.cuda.is_available() else "cpu"

    def sync():
        if dev == "cuda":
            torch.cuda.synchronize()

    def timed(f, repeat):
        f()
        sync()
        ts = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            f()
            sync()
            ts.append(time.perf_counter() - t0)
        return statistics.median(ts)

    out = {"impl": "diffusers " + diffusers.__version__, "torch": torch.__version__,
           "threads": torch.get_num_threads(), "dtype": a.dtype, "vae_dtype": a.vae_dtype or a.dtype, "device": dev,
           "size": a.size, "repeat": a.repeat}
    with torch.inference_mode():
        unet = randomize(UNet2DConditionModel(**UNET)).to(dev, dtype).eval()

        def inputs(b):
            return (torch.randn(b, 4, h // 8, w // 8, device=dev, dtype=dtype),
                    torch.randn(b, 77, 2048, device=dev, dtype=dtype),
                    {"text_embeds": torch.randn(b, 1280, device=dev, dtype=dtype),
                     "time_ids": torch.tensor([[h, w, 0, 0, h, w]] * b, device=dev, dtype=dtype)})

        for b in (int(v) for v in a.batches.split(",")):
            x, ctx, cond = inputs(b)
            t = torch.full((b,), 500.0, device=dev)
            key = "unet_forward_b1_s" if b == 1 else "unet_forward_s" if b == 2 else f"unet_forward_b{b}_s"
            out[key] = timed(lambda: unet(x, t, encoder_hidden_states=ctx, added_cond_kwargs=cond), a.repeat)
        if a.controlnet:
            x, ctx, cond = inputs(2)
            t = torch.full((2,), 500.0, device=dev)
            out["control_plain_forward_s"] = timed(lambda: unet(x, t, encoder_hidden_states=ctx,
                                                                added_cond_kwargs=cond), a.repeat)
            cn = randomize(ControlNetModel.from_unet(unet)).to(dev, dtype).eval()
            image = torch.rand(2, 3, h, w, device=dev, dtype=dtype)

            def control_step():  # the pipeline's per-step calls: ControlNet, then the UNet with its residuals
                down, mid = cn(x, t, encoder_hidden_states=ctx, controlnet_cond=image, conditioning_scale=1.0,
                               added_cond_kwargs=cond, return_dict=False)
                unet(x, t, encoder_hidden_states=ctx, added_cond_kwargs=cond, down_block_additional_residuals=down,
                     mid_block_additional_residual=mid)

            out["controlnet_forward_s"] = timed(lambda: cn(x, t, encoder_hidden_states=ctx, controlnet_cond=image,
                                                           added_cond_kwargs=cond, return_dict=False), a.repeat)
            out["control_step_s"] = timed(control_step, a.repeat)
            out["control_step_ratio"] = out["control_step_s"] / out["control_plain_forward_s"]
            del cn
        if a.steps:
            scheduler = EulerDiscreteScheduler(**SCHEDULER)
            _, ctx, cond = inputs(2)

            def loop():  # what StableDiffusionXLPipeline's denoising loop does, without its Python overheads
                scheduler.set_timesteps(a.steps, device=dev)
                lat = torch.randn(1, 4, h // 8, w // 8, device=dev, dtype=dtype) * scheduler.init_noise_sigma
                for t in scheduler.timesteps:
                    x = scheduler.scale_model_input(torch.cat([lat] * 2), t)
                    eps_u, eps_c = unet(x, t, encoder_hidden_states=ctx, added_cond_kwargs=cond).sample.chunk(2)
                    lat = scheduler.step(eps_u + 5.0 * (eps_c - eps_u), t, lat).prev_sample
                return lat

            out["loop_s"] = timed(loop, max(1, a.repeat // 2))
            out["step_s"] = out["loop_s"] / a.steps
        del unet
        if not a.skip_vae:
            vae = randomize(AutoencoderKL(**VAE)).to(dev, vae_dtype).eval()
            z = torch.randn(1, 4, h // 8, w // 8, device=dev, dtype=vae_dtype) * 0.1
            out["vae_decode_s"] = timed(lambda: vae.decode(z), max(1, a.repeat // 2))
            if a.steps:
                out["noise_to_image_s"] = out["loop_s"] + out["vae_decode_s"]
    if dev == "cuda":
        out["peak_cuda_mb"] = torch.cuda.max_memory_allocated() / 2**20
    print(json.dumps(out))


if __name__ == "__main__":
    main()
