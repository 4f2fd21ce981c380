"""Regenerates fewstep_golden.{json,safetensors}: end-to-end goldens of the few-step recipes and prediction types
(issue 14) from diffusers v0.27.2's StableDiffusionXLPipeline on the tiny fixture model (float32, CPU).

Cases (64x64, seed 42): the v-prediction folder tiny-sdxl-vpred/ (the tiny weights, its scheduler config
switched to v_prediction + rescale_betas_zero_snr + trailing, run as shipped); v-prediction (+ zero-terminal-SNR)
with Euler and DDIM; `sample` prediction with DDIM; LCM 4 steps at CFG 1.5 and off; Turbo-style Euler a and
Lightning-style Euler with trailing spacing at 1/2/4/8 steps, CFG off; the tiny autoencoder of
tests/vae/data/tiny-taesdxl (make_tiny_autoencoder_goldens.py) as the pipeline's VAE, for txt2img and for
img2img (StableDiffusionXLImg2ImgPipeline, strength 0.5, on init_64x64.png, random pixels written here).
Per case: every step's latents (from callback_on_step_end), the final latents, and for some the decoded image
(vae.decode(latents / scaling_factor)).

Run from the repository root with the pinned reference environment (scripts/reference_env.sh):
    .venv-ref/bin/python tests/pipeline/data/make_fewstep_goldens.py
"""
import json
import os
import sys

import torch
import numpy as np
from diffusers import (AutoencoderTiny, DDIMScheduler, EulerAncestralDiscreteScheduler, EulerDiscreteScheduler,
                       LCMScheduler, StableDiffusionXLImg2ImgPipeline, StableDiffusionXLPipeline)
from PIL import Image
from safetensors.torch import save_file

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "scripts"))
from reference_fixtures import load_pipeline  # noqa: E402  (the tiny fixture pipelines, shared preamble)

DATA = "tests/pipeline/data/"
PROMPT = "a photograph of an astronaut riding a horse on the moon"
CLASSES = {"ddim": DDIMScheduler, "euler": EulerDiscreteScheduler, "euler_a": EulerAncestralDiscreteScheduler,
           "lcm": LCMScheduler}
VZ = {"prediction_type": "v_prediction", "rescale_betas_zero_snr": True, "timestep_spacing": "trailing"}

# name, model folder, sampler (None: the folder's own scheduler), scheduler overrides, steps, cfg, keep image
# [, extras: "vae" (tiny autoencoder folder), "strength" (img2img on INIT)]
INIT = DATA + "init_64x64.png"
TAESD = "tests/vae/data/tiny-taesdxl"
Image.fromarray(np.random.default_rng(7).integers(0, 256, (64, 64, 3), dtype=np.uint8)).save(INIT)
CASES = [("vpred_folder_4_cfg5", "tests/pipeline/data/tiny-sdxl-vpred", None, {}, 4, 5.0, True),
         ("vpred_euler_4_cfg5", "tests/fixtures/tiny-sdxl", "euler", {"prediction_type": "v_prediction"}, 4, 5.0, False),
         ("vpred_zsnr_ddim_4_cfg5", "tests/fixtures/tiny-sdxl", "ddim", VZ, 4, 5.0, False),
         ("sample_ddim_4_cfg5", "tests/fixtures/tiny-sdxl", "ddim", {"prediction_type": "sample"}, 4, 5.0, False),
         ("lcm_4_cfg1.5", "tests/fixtures/tiny-sdxl", "lcm", {}, 4, 1.5, True),
         ("lcm_4_cfg1", "tests/fixtures/tiny-sdxl", "lcm", {}, 4, 1.0, False)]
CASES += [("taesd_euler_4_cfg5", "tests/fixtures/tiny-sdxl", "euler", {}, 4, 5.0, True, {"vae": TAESD}),
          ("taesd_img2img_euler_4_cfg5", "tests/fixtures/tiny-sdxl", "euler", {}, 4, 5.0, True,
           {"vae": TAESD, "strength": 0.5})]
for n in (1, 2, 4, 8):
    CASES.append((f"turbo_euler_a_trailing_{n}_cfg0", "tests/fixtures/tiny-sdxl", "euler_a",
                  {"timestep_spacing": "trailing"}, n, 0.0, n == 1))
    CASES.append((f"lightning_euler_trailing_{n}_cfg0", "tests/fixtures/tiny-sdxl", "euler",
                  {"timestep_spacing": "trailing"}, n, 0.0, n == 4))



pipes = {}
tensors, specs = {}, []
for name, folder, sampler, overrides, steps, cfg, keep_image, *rest in CASES:
    extras = rest[0] if rest else {}
    if folder not in pipes:
        pipes[folder] = load_pipeline(StableDiffusionXLPipeline, folder)
    pipe = pipes[folder]
    kwargs = {}
    if "vae" in extras:
        components = dict(pipe.components, vae=AutoencoderTiny.from_pretrained(extras["vae"], torch_dtype=torch.float32))
        pipe = StableDiffusionXLPipeline(**components)
    if "strength" in extras:
        pipe = StableDiffusionXLImg2ImgPipeline(**pipe.components)
        kwargs = {"image": Image.open(INIT), "strength": extras["strength"]}
    else:
        kwargs = {"height": 64, "width": 64}
    own = pipe.scheduler
    if sampler is not None:
        pipe.scheduler = CLASSES[sampler].from_config(own.config, **overrides)
    else:
        pipe.scheduler = own
    steps_seen = []

    def on_step(p, i, t, kw):
        steps_seen.append(kw["latents"].detach().clone())
        return kw

    with torch.no_grad():
        latents = pipe(prompt=PROMPT, num_inference_steps=steps, guidance_scale=cfg,
                       generator=torch.Generator("cpu").manual_seed(42), output_type="latent",
                       callback_on_step_end=on_step, **kwargs).images
        tensors[name + ".step_latents"] = torch.stack(steps_seen).contiguous()
        tensors[name + ".final_latents"] = latents.contiguous()
        if keep_image:
            tensors[name + ".image"] = pipe.vae.decode(latents / pipe.vae.config.scaling_factor,
                                                       return_dict=False)[0].contiguous()
    specs.append({"name": name, "model": folder, "sampler": sampler, "scheduler_class": type(pipe.scheduler).__name__,
                  "overrides": overrides, "steps": steps, "guidance_scale": cfg, "seed": 42, "height": 64,
                  "width": 64, "prompt": PROMPT, "timesteps": [float(t) for t in pipe.scheduler.timesteps],
                  **extras})
    pipes[folder].scheduler = own

save_file(tensors, DATA + "fewstep_golden.safetensors")
doc = "diffusers v0.27.2 StableDiffusionXLPipeline, torch 2.11 CPU float32; regenerate with make_fewstep_goldens.py"
with open(DATA + "fewstep_golden.json", "w") as f:
    json.dump({"_doc": doc, "cases": specs}, f, indent=1)
print(len(specs), "cases")
