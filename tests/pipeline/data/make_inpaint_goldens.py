"""Inpainting goldens from the reference (diffusers 0.27.2 StableDiffusionXLInpaintPipeline, OpenCV for the
web UIs' mask blur) on the tiny SDXL fixtures.

Usage (from the repository root, after scripts/reference_env.sh):
    .venv-ref/bin/python tests/pipeline/data/make_inpaint_goldens.py

Writes, all small:
  tests/fixtures/inpaint_golden/mask.png          RGB mask (colours and greys: tests the luminance rule)
  tests/fixtures/inpaint_golden/mask_blur<N>.png  A1111's blur of its luminance (cv2.GaussianBlur, 8-bit)
  tests/fixtures/inpaint_golden/<case>.json       inputs of each case
  tests/fixtures/inpaint_golden/<case>.safetensors step_latents (after each step's blend), final_latents,
                                                   image (raw VAE decode of the final latents, [-1,1])
  tests/fixtures/inpaint_golden/<case>.png        the reference's 8-bit image
  tests/fixtures/tiny-sdxl-inpaint/               a random tiny 9-channel inpainting UNet (config + fp16
                                                   weights, seeded); its other components are the tiny base's
                                                   (configs copied, weights as link placeholders to ../tiny-sdxl)
The init image is the txt2img golden tests/fixtures/pipeline_golden/base_euler_4_cfg5.png (64x96).
Re-running rewrites identical files (fixed seeds, CPU float32).
"""
import json
import os
import tempfile

import cv2
import numpy as np
import torch
from PIL import Image
from safetensors.torch import save_file

from diffusers import DDIMScheduler, EulerAncestralDiscreteScheduler, EulerDiscreteScheduler, UNet2DConditionModel
from diffusers import StableDiffusionXLInpaintPipeline

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
FIX = os.path.join(ROOT, "tests", "fixtures")
OUT = os.path.join(FIX, "inpaint_golden")
TINY = os.path.join(FIX, "tiny-sdxl")
TINY9 = os.path.join(FIX, "tiny-sdxl-inpaint")
PROMPT = "a photograph of an astronaut riding a horse on the moon"
NEGATIVE = "blurry, low quality, watermark"
SCHEDULERS = {"euler": EulerDiscreteScheduler, "euler_a": EulerAncestralDiscreteScheduler, "ddim": DDIMScheduler}


def make_mask(width, height):
    """An RGB mask whose edges fall inside 8x8 blocks, with colours and greys around the 0.5 threshold:
    pure green has luminance 150 (repaint), pure red 76 (keep), grey 128 repaint, grey 127 keep."""
    m = np.zeros((height, width, 3), np.uint8)
    yy, xx = np.mgrid[0:height, 0:width]
    ellipse = ((xx - 30.5) / 17.0) ** 2 + ((yy - 41.0) / 23.0) ** 2 <= 1.0
    m[ellipse] = (255, 240, 230)
    m[3:21, 45:61] = (0, 255, 0)
    m[70:90, 2:22] = (255, 0, 0)
    m[74:94, 40:52] = (128, 128, 128)
    m[74:94, 52:63] = (127, 127, 127)
    return m


def luminance(rgb):
    # Pillow's convert("L"): ITU-R 601-2 weights in 16-bit fixed point, rounded.
    r, g, b = (rgb[..., i].astype(np.int64) for i in range(3))
    return ((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16).astype(np.uint8)


def a1111_blur(l_mask, n):
    # AUTOMATIC1111 processing.py (StableDiffusionProcessingImg2Img.init): a horizontal then a vertical
    # 1-D Gaussian of sigma N on the 8-bit mask, kernel 2*int(2.5*N+0.5)+1.
    k = 2 * int(2.5 * n + 0.5) + 1
    out = cv2.GaussianBlur(l_mask, (k, 1), n)
    return cv2.GaussianBlur(out, (1, k), n)


def make_tiny_inpaint_unet():
    """Random 9-channel UNet with the tiny base's conditioning sizes (cross attention 80, pooled 32 + 6x16
    time ids), two levels to stay small."""
    base = UNet2DConditionModel.load_config(os.path.join(TINY, "unet"))
    cfg = dict(base)
    cfg.update(in_channels=9, block_out_channels=[32, 64], layers_per_block=1, attention_head_dim=[2, 4],
               transformer_layers_per_block=[1, 1], down_block_types=["DownBlock2D", "CrossAttnDownBlock2D"],
               up_block_types=["CrossAttnUpBlock2D", "UpBlock2D"])
    cfg = {k: v for k, v in cfg.items() if not k.startswith("_")}
    torch.manual_seed(9)
    unet = UNet2DConditionModel(**cfg)
    # diffusers zero-initialises nothing here, but scale the weights up so the random model's output is not
    # dominated by the skip paths (a stronger test of the 9-channel input).
    with torch.no_grad():
        for p in unet.parameters():
            p.mul_(1.5)
    os.makedirs(TINY9, exist_ok=True)
    # Stored in float16 like the tiny base (half the size); the pipelines below widen it to float32.
    unet.to(torch.float16).save_pretrained(os.path.join(TINY9, "unet"), safe_serialization=True)
    with open(os.path.join(TINY, "model_index.json")) as f:
        index = json.load(f)
    index["_class_name"] = "StableDiffusionXLInpaintPipeline"
    with open(os.path.join(TINY9, "model_index.json"), "w") as f:
        json.dump(index, f, indent=1)
        f.write("\n")
    # The other components are the tiny base's: small text files copied, weights as link placeholders
    # (a file holding the relative path, as git writes a symlink without symlink support; sdxl-gen and
    # stage() below follow them).
    for part in ["scheduler", "text_encoder", "text_encoder_2", "tokenizer", "tokenizer_2", "vae"]:
        os.makedirs(os.path.join(TINY9, part), exist_ok=True)
        for fname in sorted(os.listdir(os.path.join(TINY, part))):
            src = os.path.join(TINY, part, fname)
            with open(os.path.join(TINY9, part, fname), "wb") as f:
                if fname.endswith(".safetensors"):
                    f.write(f"../../tiny-sdxl/{part}/{fname}".encode())
                else:
                    f.write(open(src, "rb").read())


def placeholder_target(path):
    if os.path.getsize(path) > 1024:
        return None
    text = open(path, "rb").read().decode("utf-8", "replace").strip()
    target = os.path.normpath(os.path.join(os.path.dirname(path), text))
    return target if "\n" not in text and os.path.exists(target) else None


def stage(folder, tmp):
    """A copy of a fixture folder with link placeholders replaced by their targets, for from_pretrained."""
    for dirpath, _, files in os.walk(folder):
        rel = os.path.relpath(dirpath, folder)
        os.makedirs(os.path.join(tmp, rel), exist_ok=True)
        for fname in files:
            src = os.path.join(dirpath, fname)
            while placeholder_target(src):
                src = placeholder_target(src)
            os.symlink(os.path.abspath(src), os.path.join(tmp, rel, fname))
    return tmp


def run_case(pipe, name, sampler, steps, strength, init, mask_img, blur, seed=42, cfg=5.0):
    pipe.scheduler = SCHEDULERS[sampler].from_config(pipe.scheduler.config)
    steps_seen = []

    def on_step(p, i, t, kw):
        steps_seen.append(kw["latents"].detach().clone())
        return kw

    g = torch.Generator("cpu").manual_seed(seed)
    latents = pipe(prompt=PROMPT, negative_prompt=NEGATIVE, image=init, mask_image=mask_img, height=init.height,
                   width=init.width, num_inference_steps=steps, strength=strength, guidance_scale=cfg, generator=g,
                   output_type="latent", callback_on_step_end=on_step,
                   callback_on_step_end_tensor_inputs=["latents"]).images
    with torch.no_grad():
        image = pipe.vae.decode(latents / pipe.vae.config.scaling_factor, return_dict=False)[0]
    pipe.image_processor.postprocess(image, output_type="pil")[0].save(os.path.join(OUT, name + ".png"))
    save_file({"step_latents": torch.stack(steps_seen).contiguous(), "final_latents": latents.contiguous(),
               "image": image.contiguous()}, os.path.join(OUT, name + ".safetensors"))
    spec = {"inputs": {"name": name, "unet_in_channels": pipe.unet.config.in_channels, "sampler": sampler,
                       "steps": steps, "strength": strength, "guidance_scale": cfg, "seed": seed,
                       "height": init.height, "width": init.width, "prompt": PROMPT, "negative_prompt": NEGATIVE,
                       "init_image": "pipeline_golden/base_euler_4_cfg5.png", "mask": "inpaint_golden/mask.png",
                       "mask_blur": blur, "steps_run": len(steps_seen)},
            "_doc": "diffusers 0.27.2 StableDiffusionXLInpaintPipeline, float32 CPU; tests/pipeline/data/"
                    "make_inpaint_goldens.py"}
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump(spec, f, indent=1)
        f.write("\n")


def main():
    os.makedirs(OUT, exist_ok=True)
    init = Image.open(os.path.join(FIX, "pipeline_golden", "base_euler_4_cfg5.png")).convert("RGB")
    rgb = make_mask(init.width, init.height)
    Image.fromarray(rgb, "RGB").save(os.path.join(OUT, "mask.png"))
    mask_rgb = Image.open(os.path.join(OUT, "mask.png"))
    l_mask = np.array(mask_rgb.convert("L"))
    assert (l_mask == luminance(rgb)).all(), "Pillow's luminance rule changed"
    blurred = {}
    for n in (2, 4):
        blurred[n] = Image.fromarray(a1111_blur(l_mask, n), "L")
        blurred[n].save(os.path.join(OUT, f"mask_blur{n}.png"))

    make_tiny_inpaint_unet()
    tmp = tempfile.mkdtemp()
    pipe = StableDiffusionXLInpaintPipeline.from_pretrained(stage(TINY, os.path.join(tmp, "base")),
                                                            torch_dtype=torch.float32)
    pipe.set_progress_bar_config(disable=True)
    for sampler in ("euler", "ddim"):
        for strength in (0.9999, 0.6):
            run_case(pipe, f"inpaint_{sampler}_5_s{strength}", sampler, 5, strength, init, mask_rgb, 0)
        run_case(pipe, f"inpaint_{sampler}_5_s0.9999_blur4", sampler, 5, 0.9999, init, blurred[4], 4)
    run_case(pipe, "inpaint_euler_a_5_s0.6", "euler_a", 5, 0.6, init, mask_rgb, 0)

    pipe9 = StableDiffusionXLInpaintPipeline.from_pretrained(stage(TINY9, os.path.join(tmp, "inpaint")),
                                                             torch_dtype=torch.float32)
    pipe9.set_progress_bar_config(disable=True)
    run_case(pipe9, "inpaint9_euler_5_s0.9999", "euler", 5, 0.9999, init, mask_rgb, 0)
    run_case(pipe9, "inpaint9_ddim_5_s1.0", "ddim", 5, 1.0, init, mask_rgb, 0)
    run_case(pipe9, "inpaint9_euler_a_5_s0.6_blur2", "euler_a", 5, 0.6, init, blurred[2], 2)


if __name__ == "__main__":
    main()
