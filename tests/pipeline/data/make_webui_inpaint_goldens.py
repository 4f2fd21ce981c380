"""Goldens for "inpaint only masked", the keep-unmasked overlay and outpainting (issue 29): the web UI's small
functions ported to Python below, with diffusers v0.27.2's StableDiffusionXLInpaintPipeline for the denoising
in between, on the tiny fixture model (float32, CPU). Writes tests/pipeline/data/webui_inpaint/.

Ported (same statements in the same order, only renamed), from AUTOMATIC1111/stable-diffusion-webui:
  - modules/masking.py @ 0cb7262c579648c3bb96037ac090c9854fcfe021: get_crop_region, expand_crop_region (its two
    per-axis branches, the same statements, written once as expand_span);
  - modules/images.py @ 00952fb4a8b86b75402cc8276e00f3daadf1f459: resize_image modes 1 and 2 (no img2img upscaler
    configured, so every resize is Pillow's LANCZOS);
  - modules/processing.py @ 0027ce1f6e58c5f4279173e468a60aef420babfe, StableDiffusionProcessingImg2Img.init: the mask
    for the overlay (the blurred mask itself for "only masked", twice it clipped to 255 otherwise), the overlay image
    (the original pasted into an "RGBa" image through the inverted mask, converted to "RGBA"), the crop and resize of
    mask and image to the processing size; and its apply_overlay/uncrop (v1.7+): the result resized back (mode 1),
    pasted into a transparent RGBA canvas at the box, then Image.alpha_composite with the overlay.
  - modules/masking.py fill and modules/processing.py StableDiffusionProcessingImg2Img.init's "Masked content"
    (inpainting_fill 0 fill, 1 original, 2 latent noise, 3 latent nothing): the image filled before it is encoded;
    the latent mask (the mask as RGB resized to latent size with Pillow's default filter, channel 0 / 255 rounded)
    and the image latents under it replaced by noise or zeros. diffusers' pipeline gets them through
    MaskedContentInpaintPipeline below: its prepare_latents is the reference's own, for the case used here
    (strength < 1, 4-channel UNet), with the latent step inserted where the image latents are made, so the start
    latents and the per-step blend both read them, as the web UI's init_latent is read by both. "fill" is also
    run on the 9-channel inpainting fixture, through diffusers' pipeline as it is (fill changes only its image). The web UI draws
    the latent noise from a generator seeded with the image's seed; sdxl-gen (and this port) draw it from the
    pipeline's generator, right after the initial noise.
The outpaint canvas follows no web UI function (their outpainting scripts fill the border with noise or latent
tricks); it is sdxl-gen's own design (src/pipeline/outpaint.h), built here independently: numpy.pad(mode="edge")
for the border, the mask white over the border and 255 - 255*(d-1)//16 over the d-th original pixel from an
extended side (0 past 16, maximum over the sides); then inpainted and overlaid as a plain keep-unmasked inpaint.

Pillow is the web UI's resampler, so its version is part of the reference: the web UI pins 9.5.0; Pillow 13.0
runs the vertical pass of a resize first when the height shrinks by more than twice as many pixels as the width
(python-pillow/Pillow#9549), which rounds differently (the 30x96 crop's Lanczos resize to 12x40 in section 7:
4 levels). scripts/reference_env.sh pins 12.3.0, the last release with 9.5.0's horizontal-first order; the script
refuses any Pillow from 13 on.

Run from the repository root with the pinned reference environment (scripts/reference_env.sh):
    .venv-ref/bin/python tests/pipeline/data/make_webui_inpaint_goldens.py
"""
import json
import os
import sys

import cv2
import numpy as np
import torch
from diffusers import EulerDiscreteScheduler, StableDiffusionXLInpaintPipeline
from diffusers.utils.torch_utils import randn_tensor
import PIL
from PIL import Image, ImageFilter, ImageOps
from safetensors.torch import save_file

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "scripts"))
from reference_fixtures import resolved_copy  # noqa: E402  (the shared preamble: fixture links resolved)

OUT = "tests/pipeline/data/webui_inpaint/"
FIX = "tests/fixtures/"
PROMPT = "a photograph of an astronaut riding a horse on the moon"
NEGATIVE = "blurry, low quality, watermark"
SEED, STEPS, CFG, STRENGTH = 42, 3, 5.0, 0.9999
LANCZOS = Image.LANCZOS


# ---- modules/masking.py (fill: the same file) ----
def get_crop_region(mask, pad=0):
    h, w = mask.shape
    crop_left = 0
    for i in range(w):
        if not (mask[:, i] == 0).all():
            break
        crop_left += 1
    crop_right = 0
    for i in reversed(range(w)):
        if not (mask[:, i] == 0).all():
            break
        crop_right += 1
    crop_top = 0
    for i in range(h):
        if not (mask[i] == 0).all():
            break
        crop_top += 1
    crop_bottom = 0
    for i in reversed(range(h)):
        if not (mask[i] == 0).all():
            break
        crop_bottom += 1
    return (int(max(crop_left - pad, 0)), int(max(crop_top - pad, 0)),
            int(min(w - crop_right + pad, w)), int(min(h - crop_bottom + pad, h)))


def expand_crop_region(crop_region, processing_width, processing_height, image_width, image_height):
    x1, y1, x2, y2 = crop_region
    ratio_crop_region = (x2 - x1) / (y2 - y1)
    ratio_processing = processing_width / processing_height
    if ratio_crop_region > ratio_processing:
        desired_height = (x2 - x1) / ratio_processing
        desired_height_diff = int(desired_height - (y2 - y1))
        y1, y2 = expand_span(y1, y2, desired_height_diff, image_height)
    else:
        desired_width = (y2 - y1) * ratio_processing
        desired_width_diff = int(desired_width - (x2 - x1))
        x1, x2 = expand_span(x1, x2, desired_width_diff, image_width)
    return x1, y1, x2, y2


def expand_span(lo, hi, diff, size):
    # The web UI writes these statements twice, on (y1, y2, image_height) and on (x1, x2, image_width).
    lo -= diff // 2
    hi += diff - diff // 2
    if hi >= size:
        overhang = hi - size
        hi -= overhang
        lo -= overhang
    if lo < 0:
        hi -= lo
        lo -= lo
    if hi >= size:
        hi = size
    return lo, hi


def fill(image, mask):
    image_mod = Image.new('RGBA', (image.width, image.height))
    image_masked = Image.new('RGBa', (image.width, image.height))
    image_masked.paste(image.convert("RGBA").convert("RGBa"), mask=ImageOps.invert(mask.convert('L')))
    image_masked = image_masked.convert('RGBa')
    for radius, repeats in [(256, 1), (64, 1), (16, 2), (4, 4), (2, 2), (0, 1)]:
        blurred = image_masked.filter(ImageFilter.GaussianBlur(radius)).convert('RGBA')
        for _ in range(repeats):
            image_mod.alpha_composite(blurred)
    return image_mod.convert("RGB")


# ---- modules/processing.py StableDiffusionProcessingImg2Img.init: the latent masked-content modes ----
def latent_content(init_latent, inpainting_fill, latent_mask, generator):
    if inpainting_fill not in (2, 3):
        return init_latent
    latmask = latent_mask.convert('RGB').resize((init_latent.shape[3], init_latent.shape[2]))
    latmask = np.moveaxis(np.array(latmask, dtype=np.float32), 2, 0) / 255
    latmask = latmask[0]
    latmask = np.around(latmask)
    latmask = np.tile(latmask[None], (init_latent.shape[1], 1, 1))
    mask = torch.asarray(1.0 - latmask).type(init_latent.dtype)
    nmask = torch.asarray(latmask).type(init_latent.dtype)
    if inpainting_fill == 2:
        # The web UI: create_random_tensors(init_latent.shape[1:], seeds); here the pipeline's generator (above).
        noise = randn_tensor(init_latent.shape, generator=generator, dtype=init_latent.dtype)
        return init_latent * mask + noise * nmask
    return init_latent * mask


class MaskedContentInpaintPipeline(StableDiffusionXLInpaintPipeline):
    inpainting_fill = 1
    latent_mask = None

    def prepare_latents(self, batch_size, num_channels_latents, height, width, dtype, device, generator, latents=None,
                        image=None, timestep=None, is_strength_max=True, add_noise=True, return_noise=False,
                        return_image_latents=False):
        # diffusers v0.27.2's body for latents=None, add_noise, strength < 1, return_noise and return_image_latents,
        # with latent_content applied to the image latents before they are noised.
        assert latents is None and add_noise and not is_strength_max and return_noise and return_image_latents
        shape = (batch_size, num_channels_latents, height // self.vae_scale_factor, width // self.vae_scale_factor)
        image = image.to(device=device, dtype=dtype)
        image_latents = self._encode_vae_image(image=image, generator=generator)
        image_latents = image_latents.repeat(batch_size // image_latents.shape[0], 1, 1, 1)
        noise = randn_tensor(shape, generator=generator, device=device, dtype=dtype)
        image_latents = latent_content(image_latents, self.inpainting_fill, self.latent_mask, generator)
        latents = self.scheduler.add_noise(image_latents, noise, timestep)
        return latents, noise, image_latents


# ---- modules/images.py resize_image, modes 1 ("crop and resize") and 2 ("resize and fill") ----
def resize_image(resize_mode, im, width, height):
    resize = lambda im, w, h: im.resize((w, h), resample=LANCZOS)
    ratio = width / height
    src_ratio = im.width / im.height
    if resize_mode == 1:
        src_w = width if ratio > src_ratio else im.width * height // im.height
        src_h = height if ratio <= src_ratio else im.height * width // im.width
        resized = resize(im, src_w, src_h)
        res = Image.new("RGB", (width, height))
        res.paste(resized, box=(width // 2 - src_w // 2, height // 2 - src_h // 2))
        return res
    src_w = width if ratio < src_ratio else im.width * height // im.height
    src_h = height if ratio >= src_ratio else im.height * width // im.width
    resized = resize(im, src_w, src_h)
    res = Image.new("RGB", (width, height))
    res.paste(resized, box=(width // 2 - src_w // 2, height // 2 - src_h // 2))
    if ratio < src_ratio:
        fill_height = height // 2 - src_h // 2
        res.paste(resized.resize((width, fill_height), box=(0, 0, width, 0)), box=(0, 0))
        res.paste(resized.resize((width, fill_height), box=(0, resized.height, width, resized.height)),
                  box=(0, fill_height + src_h))
    elif ratio > src_ratio:
        fill_width = width // 2 - src_w // 2
        res.paste(resized.resize((fill_width, height), box=(0, 0, 0, height)), box=(0, 0))
        res.paste(resized.resize((fill_width, height), box=(resized.width, 0, resized.width, height)),
                  box=(fill_width + src_w, 0))
    return res


# ---- modules/processing.py ----
def mask_for_overlay(blurred_l, full_res):
    if full_res:
        return blurred_l
    np_mask = np.clip(np.array(blurred_l).astype(np.float32) * 2, 0, 255).astype(np.uint8)
    return Image.fromarray(np_mask)


def overlay_image(image, overlay_mask):
    image_masked = Image.new("RGBa", (image.width, image.height))
    image_masked.paste(image.convert("RGBA").convert("RGBa"), mask=ImageOps.invert(overlay_mask.convert("L")))
    return image_masked.convert("RGBA")


def uncrop(image, dest_size, paste_loc):
    x, y, w, h = paste_loc
    base_image = Image.new("RGBA", dest_size)
    image = resize_image(1, image, w, h)
    base_image.paste(image, (x, y))
    return base_image


def apply_overlay(image, paste_loc, overlay):
    if paste_loc is not None:
        image = uncrop(image, (overlay.width, overlay.height), paste_loc)
    image = image.convert("RGBA")
    image.alpha_composite(overlay)
    return image.convert("RGB")


def a1111_blur(l_mask, n):
    # processing.py: a horizontal then a vertical 1-D Gaussian of sigma n, kernel 2*int(2.5*n+0.5)+1 (as
    # make_inpaint_goldens.py).
    k = 2 * int(2.5 * n + 0.5) + 1
    return cv2.GaussianBlur(cv2.GaussianBlur(l_mask, (k, 1), n), (1, k), n)


# ---- the outpaint canvas (sdxl-gen's design, see the docstring) ----
OVERLAP = 16


def outpaint_canvas(image, left, top, right, bottom):
    rgb = np.array(image)
    canvas = np.pad(rgb, ((top, bottom), (left, right), (0, 0)), mode="edge")
    H, W = canvas.shape[:2]
    h, w = rgb.shape[:2]
    mask = np.zeros((H, W), np.int64)
    iy, ix = np.mgrid[0:H, 0:W]
    iy, ix = iy - top, ix - left
    inside = (ix >= 0) & (iy >= 0) & (ix < w) & (iy < h)
    ramp = lambda d: np.where(d > OVERLAP, 0, 255 - (255 * (d - 1)) // OVERLAP)
    for extended, d in ((left, ix + 1), (top, iy + 1), (right, w - ix), (bottom, h - iy)):
        if extended:
            mask = np.maximum(mask, np.where(inside, ramp(d), 0))
    mask[~inside] = 255
    return Image.fromarray(canvas), Image.fromarray(mask.astype(np.uint8), "L")


def inpaint(pipe, image, mask, width, height):
    """diffusers' inpainting of an RGB image with an L mask (binarised at 0.5 by its mask processor), to 8 bits."""
    pipe.scheduler = EulerDiscreteScheduler.from_config(pipe.scheduler.config)
    with torch.no_grad():
        return pipe(prompt=PROMPT, negative_prompt=NEGATIVE, image=image, mask_image=mask, height=height, width=width,
                    num_inference_steps=STEPS, strength=STRENGTH, guidance_scale=CFG,
                    generator=torch.Generator("cpu").manual_seed(SEED)).images[0]


def save(image, name):
    image.save(OUT + name)
    return name


def main():
    if int(PIL.__version__.split(".")[0]) >= 13:
        sys.exit("Pillow %s resizes tall shrinks vertical pass first, unlike the web UI's Pillow 9.5.0: run "
                 "scripts/reference_env.sh (it pins 12.3.0)" % PIL.__version__)
    os.makedirs(OUT, exist_ok=True)
    init = Image.open(FIX + "pipeline_golden/base_euler_4_cfg5.png").convert("RGB")  # 64x96
    other = Image.open(FIX + "pipeline_golden/base_euler_8_cfg5.png").convert("RGB")  # 64x96, a "generated" image
    l_mask = np.array(Image.open(FIX + "inpaint_golden/mask.png").convert("L"))
    spec = {"_doc": "AUTOMATIC1111 masking.py/images.py/processing.py ported, diffusers v0.27.2 "
                    "StableDiffusionXLInpaintPipeline; regenerate with make_webui_inpaint_goldens.py",
            "prompt": PROMPT, "negative_prompt": NEGATIVE, "seed": SEED, "steps": STEPS, "guidance_scale": CFG,
            "strength": STRENGTH, "sampler": "euler", "init_image": "pipeline_golden/base_euler_4_cfg5.png"}

    # 1. Crop regions: masks with blocks near every side, the fixture mask blurred, paddings, processing sizes.
    masks = {}
    for name, (y0, y1, x0, x1) in {"block_top_left": (0, 6, 0, 9), "block_bottom_right": (88, 96, 52, 64),
                                   "block_middle": (40, 52, 20, 30), "thin_row": (47, 48, 3, 61),
                                   "thin_column": (5, 90, 33, 34)}.items():
        m = np.zeros((96, 64), np.uint8)
        m[y0:y1, x0:x1] = 200
        masks[name] = m
    masks["fixture_blur4"] = a1111_blur(l_mask, 4)
    for name, m in masks.items():
        Image.fromarray(m, "L").save(OUT + f"crop_mask_{name}.png")
    regions = []
    for name, m in masks.items():
        for pad in (0, 5, 8, 32):
            for pw, ph in ((64, 64), (64, 32), (32, 64), (64, 96), (96, 64), (40, 56)):
                box = get_crop_region(m, pad)
                regions.append({"mask": f"crop_mask_{name}.png", "padding": pad, "width": pw, "height": ph,
                                "crop_region": list(box),
                                "expanded": list(expand_crop_region(box, pw, ph, m.shape[1], m.shape[0]))})
    spec["crop_regions"] = regions

    # 2. The overlay alone, at every mask level the blur makes: `other` over `init` through the blurred mask.
    blurred = Image.fromarray(masks["fixture_blur4"], "L")
    spec["overlay"] = {"generated": "pipeline_golden/base_euler_8_cfg5.png", "mask": "crop_mask_fixture_blur4.png",
                       "doubled": save(apply_overlay(other, None, overlay_image(init, mask_for_overlay(blurred, False))),
                                       "overlay_doubled.png"),
                       "as_is": save(apply_overlay(other, None, overlay_image(init, mask_for_overlay(blurred, True))),
                                     "overlay_as_is.png")}

    pipe = StableDiffusionXLInpaintPipeline.from_pretrained(resolved_copy(FIX + "tiny-sdxl"), torch_dtype=torch.float32)
    pipe.set_progress_bar_config(disable=True)

    # 3. Inpaint only masked, end to end (blur 4; padding 8 at 64x64, padding 4 at 48x64), keep unmasked.
    spec["full_res"] = []
    # A 10x12 square (blurred to every level around it), so the box is a real part of the 64x96 image.
    square = np.zeros((96, 64), np.uint8)
    square[40:52, 20:30] = 255
    Image.fromarray(square, "L").save(OUT + "full_res_mask.png")
    for pw, ph, pad in ((64, 64, 8), (48, 64, 4)):
        mask_l = Image.fromarray(a1111_blur(square, 4), "L")
        box = expand_crop_region(get_crop_region(np.array(mask_l), pad), pw, ph, mask_l.width, mask_l.height)
        x1, y1, x2, y2 = box
        small_mask = resize_image(2, mask_l.crop(box), pw, ph)
        small_image = resize_image(2, init.crop(box), pw, ph)
        generated = inpaint(pipe, small_image, small_mask, pw, ph)
        final = apply_overlay(generated, (x1, y1, x2 - x1, y2 - y1), overlay_image(init, mask_for_overlay(mask_l, True)))
        name = f"full_res_{pw}x{ph}_pad{pad}"
        spec["full_res"].append({"name": name, "mask": "full_res_mask.png", "mask_blur": 4, "padding": pad,
                                 "width": pw, "height": ph, "crop_region": list(box),
                                 "inner": save(generated, name + "_inner.png"), "image": save(final, name + ".png")})

    # 4. Plain inpainting with keep unmasked (blur 4): the doubled overlay over diffusers' result.
    Image.fromarray(l_mask, "L").save(OUT + "keep_unmasked_mask.png")
    mask_l = Image.fromarray(a1111_blur(l_mask, 4), "L")
    generated = inpaint(pipe, init, mask_l, 64, 96)
    final = apply_overlay(generated, None, overlay_image(init, mask_for_overlay(mask_l, False)))
    spec["keep_unmasked"] = {"mask": "keep_unmasked_mask.png", "mask_blur": 4, "width": 64, "height": 96,
                             "inner": save(generated, "keep_unmasked_inner.png"),
                             "image": save(final, "keep_unmasked.png")}

    # 5. Outpainting 16,8,0,24 (left, top, right, bottom): canvas, its mask, diffusers' inpaint, overlay.
    canvas, canvas_mask = outpaint_canvas(init, 16, 8, 0, 24)
    generated = inpaint(pipe, canvas, canvas_mask, canvas.width, canvas.height)
    final = apply_overlay(generated, None, overlay_image(canvas, mask_for_overlay(canvas_mask, False)))
    spec["outpaint"] = {"edges": "16,8,0,24", "width": canvas.width, "height": canvas.height,
                        "canvas": save(canvas, "outpaint_canvas.png"), "mask": save(canvas_mask, "outpaint_mask.png"),
                        "inner": save(generated, "outpaint_inner.png"), "image": save(final, "outpaint.png")}

    # 6. Masked content, every mode, at strength 0.6 (so the initial content matters): the fixture mask blurred by 4
    # over the whole 64x96 image, final latents; and "fill" with "only masked" at 48x64 (the uneven box of
    # section 3), keep unmasked, final image.
    mc_pipe = MaskedContentInpaintPipeline.from_pretrained(resolved_copy(FIX + "tiny-sdxl"), torch_dtype=torch.float32)
    mc_pipe.set_progress_bar_config(disable=True)
    mc_steps, mc_strength = 5, 0.6
    mask_l = Image.fromarray(a1111_blur(l_mask, 4), "L")
    latents = {}
    spec["masked_content"] = {"steps": mc_steps, "strength": mc_strength, "mask": "keep_unmasked_mask.png",
                              "mask_blur": 4, "width": 64, "height": 96, "latents": "masked_content.safetensors",
                              "filled": save(fill(init, mask_l), "masked_content_filled.png"), "modes": []}
    for fill_index, mode in enumerate(["fill", "original", "latent-noise", "latent-nothing"]):
        mc_pipe.inpainting_fill, mc_pipe.latent_mask = fill_index, mask_l
        image = fill(init, mask_l) if fill_index == 0 else init
        mc_pipe.scheduler = EulerDiscreteScheduler.from_config(mc_pipe.scheduler.config)
        with torch.no_grad():
            latents[mode] = mc_pipe(prompt=PROMPT, negative_prompt=NEGATIVE, image=image, mask_image=mask_l, height=96,
                                    width=64, num_inference_steps=mc_steps, strength=mc_strength, guidance_scale=CFG,
                                    generator=torch.Generator("cpu").manual_seed(SEED), output_type="latent").images
        spec["masked_content"]["modes"].append(mode)
    save_file({k: v.contiguous() for k, v in latents.items()}, OUT + "masked_content.safetensors")

    # The same "fill" on the 9-channel inpainting fixture (the web UI's fill with an inpainting model: its
    # img2img_image_conditioning reads the filled image too, so the filled image is both the init image and,
    # outside the mask, the masked image the UNet sees, as diffusers' pipeline makes both from its `image`).
    # diffusers' own pipeline, unchanged: "fill" changes only the image it is given.
    pipe9 = StableDiffusionXLInpaintPipeline.from_pretrained(resolved_copy(FIX + "tiny-sdxl-inpaint"),
                                                             torch_dtype=torch.float32)
    pipe9.set_progress_bar_config(disable=True)
    pipe9.scheduler = EulerDiscreteScheduler.from_config(pipe9.scheduler.config)
    with torch.no_grad():
        fill9 = pipe9(prompt=PROMPT, negative_prompt=NEGATIVE, image=fill(init, mask_l), mask_image=mask_l, height=96,
                      width=64, num_inference_steps=mc_steps, strength=mc_strength, guidance_scale=CFG,
                      generator=torch.Generator("cpu").manual_seed(SEED), output_type="latent").images
    save_file({"fill": fill9.contiguous()}, OUT + "masked_content_9ch.safetensors")
    spec["masked_content"]["nine_channel"] = {"model": "tiny-sdxl-inpaint", "modes": ["fill"],
                                              "latents": "masked_content_9ch.safetensors"}

    mc_pipe.inpainting_fill = 0
    pw, ph, pad = 48, 64, 4
    mask_l = Image.fromarray(a1111_blur(square, 4), "L")
    box = expand_crop_region(get_crop_region(np.array(mask_l), pad), pw, ph, mask_l.width, mask_l.height)
    x1, y1, x2, y2 = box
    small_mask = resize_image(2, mask_l.crop(box), pw, ph)
    small_image = fill(resize_image(2, init.crop(box), pw, ph), small_mask)
    mc_pipe.latent_mask = small_mask
    mc_pipe.scheduler = EulerDiscreteScheduler.from_config(mc_pipe.scheduler.config)
    with torch.no_grad():
        generated = mc_pipe(prompt=PROMPT, negative_prompt=NEGATIVE, image=small_image, mask_image=small_mask, height=ph,
                            width=pw, num_inference_steps=mc_steps, strength=mc_strength, guidance_scale=CFG,
                            generator=torch.Generator("cpu").manual_seed(SEED)).images[0]
    final = apply_overlay(generated, (x1, y1, x2 - x1, y2 - y1), overlay_image(init, mask_for_overlay(mask_l, True)))
    spec["masked_content"]["full_res_fill"] = {
        "mask": "full_res_mask.png", "padding": pad, "width": pw, "height": ph, "crop_region": list(box),
        "filled": save(small_image, "masked_content_full_res_filled.png"),
        "image": save(final, "masked_content_full_res_fill.png")}

    # 7. resize_image modes 1 and 2 alone, on crops of the init image that are wider and taller than the target
    # (both kinds of fill band, both kinds of overhang), and the 38x50 box of section 3 both ways.
    spec["resize_image"] = []
    for crop_box, w, h in (((6, 21, 44, 71), 48, 64), ((0, 10, 64, 50), 40, 48), ((10, 0, 40, 96), 48, 40),
                           ((3, 5, 60, 90), 32, 32)):
        for mode in (1, 2):
            name = "resize_mode%d_%dx%d_to_%dx%d.png" % (mode, crop_box[2] - crop_box[0], crop_box[3] - crop_box[1], w, h)
            spec["resize_image"].append({"crop": list(crop_box), "width": w, "height": h, "mode": mode,
                                         "image": save(resize_image(mode, init.crop(crop_box), w, h), name)})
    small = resize_image(2, init.crop((6, 21, 44, 71)), 48, 64)
    spec["resize_image"].append({"from": "resize_mode2_38x50_to_48x64.png", "width": 38, "height": 50, "mode": 1,
                                 "image": save(resize_image(1, small, 38, 50), "resize_mode1_back_48x64_to_38x50.png")})

    with open(OUT + "cases.json", "w") as f:
        json.dump(spec, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
