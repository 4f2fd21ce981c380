"""End-to-end goldens for the hires fix and for guidance rescale (issue 29), from diffusers v0.27.2 pieces on the
tiny fixture model (float32, CPU). Writes tests/pipeline/data/hires_rescale_golden.{json,safetensors}.

Hires fix, as the web UI runs it (AUTOMATIC1111 modules/processing.py, StableDiffusionProcessingTxt2Img
.sample_hr_pass at commit 82a973c04367123ae98bd9abdf80d9eda9b910e2): a txt2img first pass to latents, then
  - latent upscalers: torch.nn.functional.interpolate(latents, size=(H/8, W/8), mode=..., antialias=False) with
    the web UI's latent_upscale_modes table ("Latent" = bilinear, "Latent (bicubic)" = bicubic,
    "Latent (nearest-exact)" = nearest-exact; align_corners left at its default);
  - "Lanczos": the first pass decoded to 8 bits (the pipeline's postprocess), resized with Pillow's
    Image.LANCZOS, used as an img2img init image (VAE-encoded by the img2img pipeline);
then StableDiffusionXLImg2ImgPipeline at the scaled size from those latents (4-channel `image` = latents, not
re-encoded) or that image, hires_steps at hires_strength, with a generator seeded like the first pass.
Guidance rescale: StableDiffusionXLPipeline(guidance_rescale=0.7) with CFG (rescale applied) and at CFG 1 (diffusers
applies the rescale only under classifier-free guidance, so that case equals the plain run).

Run from the repository root with the pinned reference environment (scripts/reference_env.sh):
    .venv-ref/bin/python tests/pipeline/data/make_hires_rescale_goldens.py
"""
import json
import os
import sys

import torch
import torch.nn.functional as F
from diffusers import (DDIMScheduler, EulerAncestralDiscreteScheduler, EulerDiscreteScheduler,
                       StableDiffusionXLImg2ImgPipeline, StableDiffusionXLPipeline)
from PIL import Image
from safetensors.torch import save_file

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "scripts"))
from reference_fixtures import load_pipeline  # noqa: E402  (the tiny fixture pipelines, shared preamble)

DATA = "tests/pipeline/data/"
CLASSES = {"ddim": DDIMScheduler, "euler": EulerDiscreteScheduler, "euler_a": EulerAncestralDiscreteScheduler}
# The web UI's latent_upscale_modes (modules/shared_items.py / processing.py at the commit above): mode, antialias.
LATENT_MODES = {"latent": "bilinear", "latent-nearest-exact": "nearest-exact", "latent-bicubic": "bicubic"}

PROMPT, NEGATIVE, SEED = "a lighthouse at dusk", "blurry", 5
# name, sampler, first-pass steps, cfg, upscaler, scale, hires steps, hires strength (64x96 first pass)
HIRES = [("hires_latent_euler", "euler", 3, 5.0, "latent", 1.5, 4, 0.6),
         ("hires_latent_nearest_exact_euler", "euler", 3, 5.0, "latent-nearest-exact", 1.5, 4, 0.6),
         ("hires_latent_bicubic_euler", "euler", 3, 5.0, "latent-bicubic", 1.5, 4, 0.6),
         ("hires_lanczos_euler", "euler", 3, 5.0, "lanczos", 1.5, 4, 0.6),
         ("hires_latent_euler_a", "euler_a", 3, 5.0, "latent", 1.5, 4, 0.6)]
# name, sampler, steps, cfg, guidance_rescale
RESCALE = [("rescale0.7_euler_4_cfg5", "euler", 4, 5.0, 0.7),
           ("rescale0.7_ddim_4_cfg5", "ddim", 4, 5.0, 0.7),
           ("rescale0.7_euler_4_cfg1", "euler", 4, 1.0, 0.7)]

def run(pipe, sampler, steps, cfg, **kwargs):
    """One pipeline call to latents with every step's latents (callback_on_step_end)."""
    pipe.scheduler = CLASSES[sampler].from_config(pipe.scheduler.config)
    seen = []

    def on_step(p, i, t, kw):
        seen.append(kw["latents"].detach().clone())
        return kw

    latents = pipe(prompt=PROMPT, negative_prompt=NEGATIVE, num_inference_steps=steps, guidance_scale=cfg,
                   generator=torch.Generator("cpu").manual_seed(SEED), output_type="latent",
                   callback_on_step_end=on_step, **kwargs).images
    return latents, seen


def main():
    txt2img = load_pipeline(StableDiffusionXLPipeline, "tests/fixtures/tiny-sdxl")
    img2img = StableDiffusionXLImg2ImgPipeline(**txt2img.components)
    img2img.set_progress_bar_config(disable=True)
    vae = txt2img.vae
    decode = lambda x: vae.decode(x / vae.config.scaling_factor, return_dict=False)[0]
    tensors, specs = {}, []
    with torch.no_grad():
        for name, sampler, steps, cfg, upscaler, scale, hsteps, hstrength in HIRES:
            height, width = 96, 64
            first, _ = run(txt2img, sampler, steps, cfg, height=height, width=width)
            # the web UI: target sides = round(side * scale) (here exact multiples of 8)
            th, tw = int(height * scale), int(width * scale)
            if upscaler == "lanczos":
                small = txt2img.image_processor.postprocess(decode(first), output_type="pil")[0]
                start = small.resize((tw, th), Image.LANCZOS)
            else:
                start = F.interpolate(first, size=(th // 8, tw // 8), mode=LATENT_MODES[upscaler], antialias=False)
            latents, seen = run(img2img, sampler, hsteps, cfg, image=start, strength=hstrength)
            tensors[name + ".first_latents"] = first.contiguous()
            tensors[name + ".step_latents"] = torch.stack(seen).contiguous()
            tensors[name + ".final_latents"] = latents.contiguous()
            tensors[name + ".image"] = decode(latents).contiguous()
            specs.append({"name": name, "kind": "hires", "sampler": sampler, "steps": steps, "guidance_scale": cfg,
                          "seed": SEED, "height": height, "width": width, "prompt": PROMPT,
                          "negative_prompt": NEGATIVE, "hires_upscaler": upscaler, "hires_scale": scale,
                          "hires_steps": hsteps, "hires_strength": hstrength})
        for name, sampler, steps, cfg, rescale in RESCALE:
            latents, seen = run(txt2img, sampler, steps, cfg, height=96, width=64, guidance_rescale=rescale)
            tensors[name + ".step_latents"] = torch.stack(seen).contiguous()
            tensors[name + ".final_latents"] = latents.contiguous()
            tensors[name + ".image"] = decode(latents).contiguous()
            specs.append({"name": name, "kind": "txt2img", "sampler": sampler, "steps": steps, "guidance_scale": cfg,
                          "seed": SEED, "height": 96, "width": 64, "prompt": PROMPT, "negative_prompt": NEGATIVE,
                          "guidance_rescale": rescale})
    save_file(tensors, DATA + "hires_rescale_golden.safetensors")
    doc = ("diffusers v0.27.2 StableDiffusionXLPipeline / StableDiffusionXLImg2ImgPipeline, F.interpolate, Pillow "
           "LANCZOS; CPU float32; regenerate with make_hires_rescale_goldens.py")
    with open(DATA + "hires_rescale_golden.json", "w") as f:
        json.dump({"_doc": doc, "cases": specs}, f, indent=1)
        f.write("\n")
    print(len(specs), "cases")


if __name__ == "__main__":
    main()
