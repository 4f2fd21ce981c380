"""ControlNet goldens from the reference (diffusers 0.27.2 StableDiffusionXLControlNetPipeline and its img2img /
inpainting variants; OpenCV for the Canny preprocessor) on the tiny SDXL fixtures.

Usage (from the repository root, after scripts/reference_env.sh):
    .venv-ref/bin/python tests/control/make_control_goldens.py [--canny-only | --adapter-only | --control-lora-only |
                                                              --compose-only]

Writes, all under tests/fixtures/control_golden/:
  tiny-controlnet/              ControlNetModel.from_unet(tiny base UNet) with its zero-initialised convolutions
                                (controlnet_cond_embedding.conv_out, controlnet_down_blocks.N, controlnet_mid_block)
                                re-randomised, seeded, saved in float16 (config.json + safetensors)
  tiny_controlnet_sgm.safetensors  the same weights in the original (SGM / cldm) layout under `control_model.`:
                                input_hint_block.*, zero_convs.N.0, middle_block_out.0, input_blocks.*,
                                middle_block.*, time_embed.*, label_emb.* (the encoder's names copied from the tiny
                                base's single file, whose tensors from_unet copied); diffusers' own
                                convert_controlnet_checkpoint on it gives back the folder's tensors bit for bit
                                (checked below)
  control_a.png, control_b.png  control images (not the output size: the pipelines resize them with Lanczos)
  <case>.json / .safetensors / .png   inputs; step_latents, final_latents, image (raw VAE decode); 8-bit image
  canny_<n>.png, canny_<n>_<lo>_<hi>.png   Canny inputs and cv2.Canny(rgb, lo, hi) of them
  tiny-t2i-adapter/             a random T2IAdapter (full_adapter_xl) for the tiny base, float16, and its case
                                t2i_euler_5 (StableDiffusionXLAdapterPipeline, scale 0.8, factor 0.5)
  tiny_control_lora.safetensors a control-LoRA for the tiny base (make_control_lora), and its case clora_euler_5:
                                the ControlNet it makes, merged in Python, through StableDiffusionXLControlNetPipeline
  tiny_t2i_adapter_original.safetensors  tiny-t2i-adapter's tensors in the original (TencentARC Adapter) layout
                                under "adapter." (conv_in, body.K.block1/block2/in_conv; the names ComfyUI's
                                load_t2i_adapter maps to diffusers'), and its case t2i_original_euler_5 (the same
                                reference run as t2i_euler_5, the control read from this file)
  cn_compose_*                  one control composed with the other stages (--compose-only): the hires fix
                                (ControlNet txt2img, the web UI's "Latent" upscale = F.interpolate bilinear, then
                                StableDiffusionXLControlNetImg2ImgPipeline on those latents with the control image
                                resized to the second pass's size), the refiner in its default SDEdit hand-off
                                (StableDiffusionXLImg2ImgPipeline of tiny-sdxl-refiner on the base latents, no
                                control, as the reference), and a LoRA on the base (load_lora_weights + fuse_lora of
                                tests/adapters/data/kohya_sgm.safetensors at 0.6; the ControlNet is not touched)
Re-running rewrites identical files (fixed seeds, CPU float32).
"""
import json
import os
import sys
import tempfile

import cv2
import numpy as np
import torch
from PIL import Image, ImageDraw
from safetensors.torch import load_file, save_file

import torch.nn.functional as F
from diffusers import (ControlNetModel, DDIMScheduler, EulerDiscreteScheduler, StableDiffusionXLAdapterPipeline,
                       StableDiffusionXLControlNetImg2ImgPipeline, StableDiffusionXLControlNetInpaintPipeline,
                       StableDiffusionXLControlNetPipeline, StableDiffusionXLImg2ImgPipeline, T2IAdapter,
                       UNet2DConditionModel)
from diffusers.loaders.single_file_utils import convert_controlnet_checkpoint

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pipeline", "data"))
from make_inpaint_goldens import stage  # noqa: E402  (the fixtures' link placeholders resolved for from_pretrained)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIX = os.path.join(ROOT, "tests", "fixtures")
OUT = os.path.join(FIX, "control_golden")
TINY = os.path.join(FIX, "tiny-sdxl")
CN_DIR = os.path.join(OUT, "tiny-controlnet")
CN_SGM = os.path.join(OUT, "tiny_controlnet_sgm.safetensors")
ADAPTER_DIR = os.path.join(OUT, "tiny-t2i-adapter")
ADAPTER_ORIGINAL = os.path.join(OUT, "tiny_t2i_adapter_original.safetensors")
REFINER = os.path.join(FIX, "tiny-sdxl-refiner")
LORA = os.path.join(ROOT, "tests", "adapters", "data", "kohya_sgm.safetensors")
CLORA = os.path.join(OUT, "tiny_control_lora.safetensors")
PROMPT = "a photograph of an astronaut riding a horse on the moon"
NEGATIVE = "blurry, low quality, watermark"
SCHEDULERS = {"euler": EulerDiscreteScheduler, "ddim": DDIMScheduler}
HEIGHT, WIDTH = 96, 64


def make_controlnet():
    unet = UNet2DConditionModel.from_pretrained(os.path.join(TINY, "unet")).to(torch.float32)
    torch.manual_seed(25)
    cn = ControlNetModel.from_unet(unet)
    # The zero convolutions would make the control a no-op: give them torch's default init again (seeded), scaled
    # so that the residuals are of the order of the skip activations.
    zero = [cn.controlnet_cond_embedding.conv_out, cn.controlnet_mid_block, *cn.controlnet_down_blocks]
    with torch.no_grad():
        for m in zero:
            m.reset_parameters()
            m.weight.mul_(2.0)
        # torch's default init shrinks the signal at each of the conditioning embedding's eight convolutions: x2.5
        # makes the control image move the residuals as much as the latents do (else resizing the image with
        # another filter, or using no image at all, would stay within the test tolerances).
        for name, p in cn.controlnet_cond_embedding.named_parameters():
            if name.endswith("weight"):
                p.mul_(2.5)
    cn.to(torch.float16).save_pretrained(CN_DIR, safe_serialization=True)
    return ControlNetModel.from_pretrained(CN_DIR, torch_dtype=torch.float32)


def hint_index(diffusers_key):
    # cldm's input_hint_block: conv, SiLU, (conv, SiLU, conv stride 2, SiLU) x 3, zero conv -> indices 0, 2..12, 14.
    part = diffusers_key.split(".")
    if part[1] == "conv_in":
        return 0
    if part[1] == "conv_out":
        return 14
    return 2 + 2 * int(part[2])


def write_sgm_file(cn_state):
    """The original layout: the encoder's SGM names from the tiny base single file (same tensors), plus the
    control-only modules renamed as cldm names them."""
    base = load_file(os.path.join(FIX, "tiny_sdxl_base.safetensors"))
    prefix = "model.diffusion_model."
    out = {}
    for k, v in base.items():
        if not k.startswith(prefix):
            continue
        name = k[len(prefix):]
        if name.startswith(("input_blocks.", "middle_block.", "time_embed.")):
            out["control_model." + name] = v
    # diffusers 0.27.2's from_unet does not copy add_embedding (it stays randomly initialised): label_emb comes
    # from the ControlNet itself, named as the UNet's (label_emb.0.0 / label_emb.0.2).
    sgm_label = {"add_embedding.linear_1": "label_emb.0.0", "add_embedding.linear_2": "label_emb.0.2"}
    for k, v in cn_state.items():
        if k.startswith("controlnet_cond_embedding."):
            out[f"control_model.input_hint_block.{hint_index(k)}.{k.split('.')[-1]}"] = v
        elif k.startswith("controlnet_down_blocks."):
            n, leaf = k.split(".")[1:]
            out[f"control_model.zero_convs.{n}.0.{leaf}"] = v
        elif k.startswith("controlnet_mid_block."):
            out[f"control_model.middle_block_out.0.{k.split('.')[-1]}"] = v
        elif k.startswith("add_embedding."):
            stem, leaf = k.rsplit(".", 1)
            out[f"control_model.{sgm_label[stem]}.{leaf}"] = v
    # float16 throughout, as the folder (a few of the base file's tensors are stored in float32, same values).
    out = {k: v.to(torch.float16).contiguous() for k, v in sorted(out.items())}
    save_file(out, CN_SGM)
    # Proof of the layout: diffusers' converter gives back the folder's tensors (it leaves add_embedding out,
    # which the single file carries as label_emb.0.{0,2} like the UNet's).
    back = convert_controlnet_checkpoint(dict(load_file(CN_SGM)), {"layers_per_block": 2})
    for k, v in back.items():
        assert torch.equal(v, cn_state[k]), k
    missing = set(cn_state) - set(back)
    assert all(k.startswith("add_embedding.") for k in missing), missing
    assert len(out) == len(cn_state), (len(out), len(cn_state))


def control_image_a():
    """Edges on black at 80x120 (another size than the output: resized with Lanczos by the pipelines)."""
    img = Image.new("RGB", (80, 120), (0, 0, 0))
    d = ImageDraw.Draw(img)
    d.ellipse((10, 14, 62, 70), outline=(255, 255, 255), width=2)
    d.rectangle((30, 60, 74, 110), outline=(255, 255, 255), width=1)
    d.line((0, 119, 79, 0), fill=(255, 255, 255), width=2)
    return img


def control_image_b():
    """A colour gradient with a disc at the output size (64x96)."""
    yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH]
    rgb = np.stack([xx * 255 // (WIDTH - 1), yy * 255 // (HEIGHT - 1), (xx + yy) * 255 // (WIDTH + HEIGHT - 2)], -1)
    rgb[((xx - 40) ** 2 + (yy - 30) ** 2) < 200] = (250, 20, 120)
    return Image.fromarray(rgb.astype(np.uint8), "RGB")


def run_case(pipe, name, sampler, controls, extra_spec, steps=5, cfg=5.0, seed=42, guess_mode=False, **kwargs):
    pipe.scheduler = SCHEDULERS[sampler].from_config(pipe.scheduler.config)
    steps_seen = []

    def on_step(p, i, t, kw):
        steps_seen.append(kw["latents"].detach().clone())
        return kw

    images = [Image.open(os.path.join(OUT, c["image"])) for c in controls]
    multi = len(controls) > 1
    pick = (lambda key: [c[key] for c in controls]) if multi else (lambda key: controls[0][key])
    image_arg = "control_image" if "image" in kwargs else "image"
    g = torch.Generator("cpu").manual_seed(seed)
    latents = pipe(prompt=PROMPT, negative_prompt=NEGATIVE, height=HEIGHT, width=WIDTH, num_inference_steps=steps,
                   guidance_scale=cfg, generator=g, output_type="latent", guess_mode=guess_mode,
                   controlnet_conditioning_scale=pick("scale"), control_guidance_start=pick("start"),
                   control_guidance_end=pick("end"), callback_on_step_end=on_step,
                   callback_on_step_end_tensor_inputs=["latents"], **{image_arg: images if multi else images[0]},
                   **kwargs).images
    with torch.no_grad():
        image = pipe.vae.decode(latents / pipe.vae.config.scaling_factor, return_dict=False)[0]
    pipe.image_processor.postprocess(image, output_type="pil")[0].save(os.path.join(OUT, name + ".png"))
    save_file({"step_latents": torch.stack(steps_seen).contiguous(), "final_latents": latents.contiguous(),
               "image": image.contiguous()}, os.path.join(OUT, name + ".safetensors"))
    spec = {"inputs": {"name": name, "sampler": sampler, "steps": steps, "guidance_scale": cfg, "seed": seed,
                       "height": HEIGHT, "width": WIDTH, "prompt": PROMPT, "negative_prompt": NEGATIVE,
                       "guess_mode": guess_mode, "controls": controls, "steps_run": len(steps_seen), **extra_spec},
            "_doc": f"diffusers 0.27.2 {type(pipe).__name__}, float32 CPU; tests/control/make_control_goldens.py"}
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump(spec, f, indent=1)
        f.write("\n")


def make_adapter():
    """A random full_adapter_xl T2IAdapter for the tiny base UNet: widths [32, 64, 128, 128] (the UNet's levels
    and its mid block), pixel-unshuffle 16 (features at 1/2 and 1/4 of the latent size, as SDXL's)."""
    torch.manual_seed(26)
    adapter = T2IAdapter(in_channels=3, channels=[32, 64, 128, 128], num_res_blocks=2, downscale_factor=16,
                         adapter_type="full_adapter_xl")
    adapter.to(torch.float16).save_pretrained(ADAPTER_DIR, safe_serialization=True)
    return T2IAdapter.from_pretrained(ADAPTER_DIR, torch_dtype=torch.float32)


def run_adapter_case(tiny, name, scale, factor, steps=5, cfg=5.0, seed=42, model="tiny-t2i-adapter"):
    adapter = make_adapter()
    write_original_adapter(adapter)
    pipe = StableDiffusionXLAdapterPipeline.from_pretrained(tiny, adapter=adapter, torch_dtype=torch.float32)
    pipe.set_progress_bar_config(disable=True)
    pipe.scheduler = EulerDiscreteScheduler.from_config(pipe.scheduler.config)
    steps_seen = []

    def on_step(i, t, latents):  # the adapter pipeline of 0.27.2 has only the older per-step callback
        steps_seen.append(latents.detach().clone())

    g = torch.Generator("cpu").manual_seed(seed)
    image = Image.open(os.path.join(OUT, "control_a.png"))
    latents = pipe(prompt=PROMPT, negative_prompt=NEGATIVE, image=image, height=HEIGHT, width=WIDTH,
                   num_inference_steps=steps, guidance_scale=cfg, generator=g, adapter_conditioning_scale=scale,
                   adapter_conditioning_factor=factor, output_type="latent", callback=on_step,
                   callback_steps=1).images
    with torch.no_grad():
        decoded = pipe.vae.decode(latents / pipe.vae.config.scaling_factor, return_dict=False)[0]
    pipe.image_processor.postprocess(decoded, output_type="pil")[0].save(os.path.join(OUT, name + ".png"))
    save_file({"step_latents": torch.stack(steps_seen).contiguous(), "final_latents": latents.contiguous(),
               "image": decoded.contiguous()}, os.path.join(OUT, name + ".safetensors"))
    controls = [{"model": model, "image": "control_a.png", "scale": scale, "start": 0.0, "end": factor}]
    spec = {"inputs": {"name": name, "sampler": "euler", "steps": steps, "guidance_scale": cfg, "seed": seed,
                       "height": HEIGHT, "width": WIDTH, "prompt": PROMPT, "negative_prompt": NEGATIVE,
                       "guess_mode": False, "controls": controls, "steps_run": len(steps_seen)},
            "_doc": "diffusers 0.27.2 StableDiffusionXLAdapterPipeline (adapter_conditioning_scale = scale, "
                    "adapter_conditioning_factor = end), float32 CPU; tests/control/make_control_goldens.py"}
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump(spec, f, indent=1)
        f.write("\n")


def make_control_lora():
    """A control-LoRA in Stability's format (what ComfyUI's ControlLoraSave writes; the key list of a real file was
    not available): SGM names without prefix; for every weight of rank >= 2 of the base UNet's encoder a low-rank
    pair NAME.up [out, r(, 1, 1)] / NAME.down [r, in(, k, k)] (ComfyUI's extract_lora shapes); rank-1 tensors
    (biases, norms) whole; the control-only modules (input_hint_block, zero_convs, middle_block_out) whole; the
    marker tensor lora_controlnet. Returns the same ControlNet merged as ComfyUI's ControlLora applies it
    (base + up @ down, whole tensors replacing the base's) as a diffusers ControlNetModel."""
    base = load_file(os.path.join(FIX, "tiny_sdxl_base.safetensors"))
    prefix = "model.diffusion_model."
    control = load_file(CN_SGM)  # hint block, zero convs, middle_block_out from the tiny ControlNet
    g = torch.Generator().manual_seed(27)
    rank = 4
    out, merged = {}, {}
    for k, v in sorted(base.items()):
        name = k[len(prefix):] if k.startswith(prefix) else None
        if name is None or not name.startswith(("input_blocks.", "middle_block.", "time_embed.", "label_emb.")):
            continue
        w = v.to(torch.float32)
        if w.dim() >= 2:
            conv = w.dim() == 4
            up = (torch.randn(w.shape[0], rank, generator=g) * 0.05).to(torch.float16)
            down = (torch.randn(rank, w[0].numel(), generator=g) * 0.05).to(torch.float16)
            stem = name[:-len(".weight")]
            out[stem + ".up"] = up.reshape(w.shape[0], rank, 1, 1) if conv else up
            out[stem + ".down"] = down.reshape(rank, *w.shape[1:]) if conv else down
            merged[name] = w + torch.mm(up.to(torch.float32), down.to(torch.float32)).reshape(w.shape)
        else:
            whole = (w + torch.randn(w.shape, generator=g) * 0.02).to(torch.float16)
            out[name] = whole
            merged[name] = whole.to(torch.float32)
    for k, v in control.items():
        name = k[len("control_model."):]
        if name.startswith(("input_hint_block.", "zero_convs.", "middle_block_out.")):
            out[name] = v
            merged[name] = v.to(torch.float32)
    out["lora_controlnet"] = torch.tensor([])
    save_file({k: v.contiguous() for k, v in sorted(out.items())}, CLORA)
    # The merged weights in diffusers names: diffusers' converter, plus label_emb -> add_embedding (which it skips).
    state = convert_controlnet_checkpoint(dict(merged), {"layers_per_block": 2})
    for sgm, ours in (("label_emb.0.0", "add_embedding.linear_1"), ("label_emb.0.2", "add_embedding.linear_2")):
        for leaf in ("weight", "bias"):
            state[f"{ours}.{leaf}"] = merged[f"{sgm}.{leaf}"]
    cn = ControlNetModel.from_config(ControlNetModel.load_config(CN_DIR))
    cn.load_state_dict(state, strict=True)
    return cn.to(torch.float32)


def write_original_adapter(adapter):
    """The adapter's tensors under the original Adapter's names: diffusers' adapter.body.L.resnets.B.* is the flat
    body.(L * num_res_blocks + B).*, adapter.body.L.in_conv the first block's in_conv (ComfyUI's load_t2i_adapter
    does the reverse renaming); kept under "adapter." as the issue's single files."""
    per_level = adapter.config.num_res_blocks
    out = {}
    for k, v in adapter.state_dict().items():
        part = k.split(".")
        if part[1] == "conv_in":
            name = k
        elif part[3] == "in_conv":
            name = f"adapter.body.{int(part[2]) * per_level}.in_conv.{part[4]}"
        else:
            assert part[3] == "resnets", k
            name = f"adapter.body.{int(part[2]) * per_level + int(part[4])}.{part[5]}.{part[6]}"
        assert name not in out, name
        out[name] = v.to(torch.float16).contiguous()
    save_file(dict(sorted(out.items())), ADAPTER_ORIGINAL)


def decode_to(pipe, latents, name):
    with torch.no_grad():
        image = pipe.vae.decode(latents / pipe.vae.config.scaling_factor, return_dict=False)[0]
    pipe.image_processor.postprocess(image, output_type="pil")[0].save(os.path.join(OUT, name + ".png"))
    return image


def compose_cases(tiny, cn):
    """Control with the hires fix, the refiner and a LoRA (see the docstring)."""
    one = [{"model": "tiny-controlnet", "image": "control_a.png", "scale": 0.7, "start": 0.1, "end": 0.9}]
    image = Image.open(os.path.join(OUT, "control_a.png"))
    args = dict(controlnet_conditioning_scale=0.7, control_guidance_start=0.1, control_guidance_end=0.9)
    pipe = StableDiffusionXLControlNetPipeline.from_pretrained(tiny, controlnet=cn, torch_dtype=torch.float32)
    pipe.set_progress_bar_config(disable=True)
    pipe.scheduler = EulerDiscreteScheduler.from_config(pipe.scheduler.config)

    def first_pass(p, steps=5):
        return p(prompt=PROMPT, negative_prompt=NEGATIVE, height=HEIGHT, width=WIDTH, num_inference_steps=steps,
                 guidance_scale=5.0, generator=torch.Generator("cpu").manual_seed(42), output_type="latent",
                 image=image, **args).images

    def save(name, tensors, extra):
        save_file({k: v.contiguous() for k, v in tensors.items()}, os.path.join(OUT, name + ".safetensors"))
        spec = {"inputs": {"name": name, "sampler": "euler", "steps": 5, "guidance_scale": 5.0, "seed": 42,
                           "height": HEIGHT, "width": WIDTH, "prompt": PROMPT, "negative_prompt": NEGATIVE,
                           "guess_mode": False, "controls": one, **extra},
                "_doc": "diffusers 0.27.2, float32 CPU; tests/control/make_control_goldens.py compose_cases"}
        with open(os.path.join(OUT, name + ".json"), "w") as f:
            json.dump(spec, f, indent=1)
            f.write("\n")

    # Hires fix, "latent" upscaler: 64x96 -> 96x144, 4 steps at strength 0.6, the generator seeded again.
    first = first_pass(pipe)
    hh, hw = int(HEIGHT * 1.5), int(WIDTH * 1.5)
    up = F.interpolate(first, size=(hh // 8, hw // 8), mode="bilinear", antialias=False)
    i2i = StableDiffusionXLControlNetImg2ImgPipeline(**pipe.components)
    i2i.set_progress_bar_config(disable=True)
    latents = i2i(prompt=PROMPT, negative_prompt=NEGATIVE, image=up, control_image=image, height=hh, width=hw,
                  strength=0.6, num_inference_steps=4, guidance_scale=5.0,
                  generator=torch.Generator("cpu").manual_seed(42), output_type="latent", **args).images
    decoded = decode_to(pipe, latents, "cn_compose_hires")
    save("cn_compose_hires", {"first_latents": first, "final_latents": latents, "image": decoded},
         {"hires_scale": 1.5, "hires_steps": 4, "hires_strength": 0.6, "hires_upscaler": "latent"})

    # Refiner, SDEdit at 0.5 (2 of 5 steps) on the base latents (the refiner's own generator, seeded with the image's seed).
    refiner = StableDiffusionXLImg2ImgPipeline.from_pretrained(stage(REFINER, os.path.join(tempfile.mkdtemp(), "r")),
                                                               torch_dtype=torch.float32)
    refiner.set_progress_bar_config(disable=True)
    refiner.scheduler = EulerDiscreteScheduler.from_config(refiner.scheduler.config)
    latents = refiner(prompt=PROMPT, negative_prompt=NEGATIVE, image=first, strength=0.5, num_inference_steps=5,
                      guidance_scale=5.0, generator=torch.Generator("cpu").manual_seed(42),
                      output_type="latent").images
    decoded = decode_to(pipe, latents, "cn_compose_refiner")
    save("cn_compose_refiner", {"first_latents": first, "final_latents": latents, "image": decoded},
         {"refiner": "tiny-sdxl-refiner", "refiner_strength": 0.5})

    # A LoRA merged into the base UNet and text encoders.
    pipe.load_lora_weights(LORA)
    pipe.fuse_lora(lora_scale=0.6)
    latents = first_pass(pipe)
    decoded = decode_to(pipe, latents, "cn_compose_lora")
    save("cn_compose_lora", {"final_latents": latents, "image": decoded},
         {"loras": [{"path": "adapters/data/kohya_sgm.safetensors", "multiplier": 0.6}]})


def canny_goldens():
    """cv2.Canny on 8-bit RGB arrays, as the web UI's ControlNet extension calls it (gradients, text, noise)."""
    rng = np.random.default_rng(7)
    yy, xx = np.mgrid[0:72, 0:96]
    grad = np.stack([xx * 255 // 95, yy * 255 // 71, ((xx * 3 + yy * 5) % 256)], -1).astype(np.uint8)
    text = Image.new("RGB", (96, 72), (20, 30, 40))
    d = ImageDraw.Draw(text)
    d.text((4, 6), "sdxl-gen", fill=(250, 240, 200))
    d.text((10, 30), "Canny 0123", fill=(120, 200, 60))
    d.ellipse((50, 40, 90, 70), outline=(200, 60, 60), width=3)
    noise = (rng.random((72, 96, 3)) * 255).astype(np.uint8)
    noise[20:50, 30:70] = 128
    # Soft edges and mild noise, so that the thresholds decide which edges survive.
    soft = cv2.GaussianBlur(np.array(text), (7, 7), 2.0).astype(np.int16) + rng.integers(-6, 7, (72, 96, 3))
    inputs = {"gradient": grad, "text": np.array(text), "noise": noise, "soft": np.clip(soft, 0, 255).astype(np.uint8)}
    cases = []
    for name, rgb in inputs.items():
        Image.fromarray(rgb, "RGB").save(os.path.join(OUT, f"canny_{name}.png"))
        for lo, hi in ((100, 200), (50, 120), (1, 255)):
            edges = cv2.Canny(rgb, lo, hi)
            Image.fromarray(edges, "L").save(os.path.join(OUT, f"canny_{name}_{lo}_{hi}.png"))
            cases.append({"input": f"canny_{name}.png", "low": lo, "high": hi, "edges": f"canny_{name}_{lo}_{hi}.png"})
    with open(os.path.join(OUT, "canny.json"), "w") as f:
        json.dump({"cases": cases, "_doc": f"cv2.Canny (OpenCV {cv2.__version__}) on the RGB array; "
                                           "tests/control/make_control_goldens.py"}, f, indent=1)
        f.write("\n")


def main():
    os.makedirs(OUT, exist_ok=True)
    control_image_a().save(os.path.join(OUT, "control_a.png"))
    control_image_b().save(os.path.join(OUT, "control_b.png"))
    canny_goldens()
    if "--canny-only" in sys.argv:
        return
    if "--control-lora-only" in sys.argv:
        run_control_lora_case(stage(TINY, os.path.join(tempfile.mkdtemp(), "base")))
        return
    if "--adapter-only" in sys.argv:
        tiny = stage(TINY, os.path.join(tempfile.mkdtemp(), "base"))
        run_adapter_case(tiny, "t2i_euler_5", 0.8, 0.5)
        run_adapter_case(tiny, "t2i_original_euler_5", 0.8, 0.5, model="tiny_t2i_adapter_original.safetensors")
        return
    if "--compose-only" in sys.argv:
        compose_cases(stage(TINY, os.path.join(tempfile.mkdtemp(), "base")),
                      ControlNetModel.from_pretrained(CN_DIR, torch_dtype=torch.float32))
        return
    cn = make_controlnet()
    write_sgm_file(cn.state_dict())
    cn_b = ControlNetModel.from_pretrained(CN_DIR, torch_dtype=torch.float32)
    tiny = stage(TINY, os.path.join(tempfile.mkdtemp(), "base"))

    one = [{"model": "tiny-controlnet", "image": "control_a.png", "scale": 0.7, "start": 0.1, "end": 0.9}]
    two = [{"model": "tiny-controlnet", "image": "control_a.png", "scale": 0.7, "start": 0.0, "end": 1.0},
           {"model": "tiny_controlnet_sgm.safetensors", "image": "control_b.png", "scale": 0.5, "start": 0.2,
            "end": 0.8}]
    full = [{"model": "tiny-controlnet", "image": "control_a.png", "scale": 1.0, "start": 0.0, "end": 1.0}]

    pipe = StableDiffusionXLControlNetPipeline.from_pretrained(tiny, controlnet=cn, torch_dtype=torch.float32)
    pipe.set_progress_bar_config(disable=True)
    run_case(pipe, "cn_euler_5_single", "euler", one, {})
    run_case(pipe, "cn_ddim_5_single", "ddim", one, {})
    run_case(pipe, "cn_euler_5_guess", "euler", full, {}, guess_mode=True)
    multi = StableDiffusionXLControlNetPipeline.from_pretrained(tiny, controlnet=[cn, cn_b], torch_dtype=torch.float32)
    multi.set_progress_bar_config(disable=True)
    run_case(multi, "cn_euler_5_multi", "euler", two, {})

    init = Image.open(os.path.join(FIX, "pipeline_golden", "base_euler_4_cfg5.png")).convert("RGB")
    i2i = StableDiffusionXLControlNetImg2ImgPipeline.from_pretrained(tiny, controlnet=cn, torch_dtype=torch.float32)
    i2i.set_progress_bar_config(disable=True)
    run_case(i2i, "cn_euler_5_img2img", "euler", one,
             {"init_image": "pipeline_golden/base_euler_4_cfg5.png", "strength": 0.6}, image=init, strength=0.6)
    inp = StableDiffusionXLControlNetInpaintPipeline.from_pretrained(tiny, controlnet=cn, torch_dtype=torch.float32)
    inp.set_progress_bar_config(disable=True)
    mask = Image.open(os.path.join(FIX, "inpaint_golden", "mask.png"))
    run_case(inp, "cn_euler_5_inpaint", "euler", one,
             {"init_image": "pipeline_golden/base_euler_4_cfg5.png", "mask": "inpaint_golden/mask.png",
              "strength": 0.9999}, image=init, mask_image=mask, strength=0.9999)
    run_adapter_case(tiny, "t2i_euler_5", 0.8, 0.5)
    run_adapter_case(tiny, "t2i_original_euler_5", 0.8, 0.5, model="tiny_t2i_adapter_original.safetensors")
    run_control_lora_case(tiny)
    compose_cases(tiny, cn)


def run_control_lora_case(tiny):
    clora = make_control_lora()
    pipe = StableDiffusionXLControlNetPipeline.from_pretrained(tiny, controlnet=clora, torch_dtype=torch.float32)
    pipe.set_progress_bar_config(disable=True)
    one = [{"model": "tiny_control_lora.safetensors", "image": "control_a.png", "scale": 0.7, "start": 0.0, "end": 1.0}]
    run_case(pipe, "clora_euler_5", "euler", one, {})


if __name__ == "__main__":
    main()
