"""IP-Adapter goldens from the reference (transformers 4.44.2 CLIPVisionModelWithProjection / CLIPImageProcessor,
diffusers 0.27.2 load_ip_adapter / set_ip_adapter_scale / IPAdapterAttnProcessor2_0) on the tiny SDXL fixtures.

Usage (from the repository root, after scripts/reference_env.sh):
    .venv-ref/bin/python tests/vision/data/make_ip_adapter_goldens.py

Writes, all small (fp16 weights, seeded; re-running rewrites identical files):
  tests/vision/data/ip_a.png, ip_b.png            two RGB image prompts (90x70: enlarged by the processor;
                                                  256x320: reduced), deterministic patterns
  tests/vision/data/image_encoder_gelu/           tiny CLIPVisionModelWithProjection, hidden_act "gelu" (OpenCLIP
                                                  style), transformers layout (config.json + model.safetensors)
  tests/vision/data/image_encoder_quick_gelu/     the same family with "quick_gelu" (OpenAI style)
  tests/vision/data/encoder_gelu_single.safetensors  image_encoder_gelu's tensors as one file, transformers names
                                                  (ComfyUI clip_vision_*.safetensors layout, no config)
  tests/vision/data/encoder_gelu_open_clip.safetensors  the same weights under open_clip's names (visual.*)
  tests/vision/data/encoder_goldens.safetensors   per image I: I.pixel_values (CLIPImageProcessor defaults); per
                                                  encoder E: E.I.image_embeds, E.I.penultimate (hidden_states[-2]),
                                                  and E.zeros.* for the zero image diffusers encodes for Plus CFG
  tests/vision/data/ip_base.safetensors           random base IP-Adapter (image_proj.proj + norm, 4 tokens) for the
                                                  gelu encoder; ip_base_quick.safetensors for the quick_gelu one;
                                                  ip_plus.safetensors a Plus adapter (Resampler) for the gelu encoder
  tests/vision/data/cases.json                    inputs of each pipeline case; _sha256: hashlib sha256 of the
                                                  adapter and image files
  tests/vision/data/<case>.safetensors            step_latents (after each step), final_latents, and the projected
                                                  image tokens of each adapter (tokens.N: [uncond; cond] with CFG)
The case ip_base_controlnet_s0.6 runs the base adapter with the tiny ControlNet of tests/control/make_control_goldens.py
(tests/fixtures/control_golden/tiny-controlnet, control_a.png at scale 0.7, steps 0.1-0.9) through
StableDiffusionXLControlNetPipeline with load_ip_adapter (issue 26: adapter + ControlNet). Its control image is
resized 80x120 -> 64x64 by Pillow's Lanczos (VaeImageProcessor), a shrink that Pillow 13 resamples vertical pass
first (the height loses 56 pixels, more than twice the width's 16), unlike Pillow 12.3.0 (the version
scripts/reference_env.sh pins), the web UI's 9.5.0 and sdxl-gen, which run the horizontal pass first: up to 28
levels apart on this image, 6.7e-3 in the latents. The script refuses Pillow 13 and later.
The ip_adapter.N keys are numbered as the original IP-Adapter files are (every attention processor of
unet.attn_processors in order, cross-attention ones odd), read from the reference UNet here, not written out by hand.
"""
import hashlib
import json
import os
import shutil
import tempfile

import numpy as np
import PIL
import torch
from PIL import Image
from safetensors.torch import load_file, save_file

from diffusers import (ControlNetModel, EulerDiscreteScheduler, StableDiffusionXLControlNetPipeline,
                       StableDiffusionXLImg2ImgPipeline, StableDiffusionXLPipeline)
from transformers import CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModelWithProjection

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
FIX = os.path.join(ROOT, "tests", "fixtures")
OUT = os.path.join(ROOT, "tests", "vision", "data")
TINY = os.path.join(FIX, "tiny-sdxl")
PROMPT = "a photograph of an astronaut riding a horse on the moon"
NEGATIVE = "blurry, low quality, watermark"
F16 = torch.float16

# Tiny encoders: 224 input (CLIPImageProcessor's defaults, which diffusers always uses), 16-pixel patches.
# gelu: 128 wide, 2 heads of 64 (the width/64 rule single files fall back to); quick_gelu: 64 wide, 4 heads.
ENCODERS = {
    "gelu": dict(hidden_size=128, intermediate_size=256, num_hidden_layers=2, num_attention_heads=2,
                 projection_dim=48, hidden_act="gelu", seed=11),
    "quick_gelu": dict(hidden_size=64, intermediate_size=128, num_hidden_layers=3, num_attention_heads=4,
                       projection_dim=32, hidden_act="quick_gelu", seed=12),
}


def make_images():
    """Two RGB patterns with detail at every scale (gradients, rings, a checker), so resampling errors show."""
    def pattern(w, h, phase):
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
        r = 127.5 + 127.5 * np.sin(xx / (3.0 + phase) + yy / 7.0)
        g = 255.0 * ((xx + 2 * yy) % 23) / 22.0
        b = np.where(((xx // 5) + (yy // 4)) % 2 == 0, 230.0, 20.0 + phase * 10)
        rings = 60.0 * np.cos(np.hypot(xx - w / 3, yy - h / 2) / (2.0 + phase))
        rgb = np.stack([r, g, (b + rings) % 256], -1)
        return Image.fromarray(np.clip(np.round(rgb), 0, 255).astype(np.uint8), "RGB")
    images = {"ip_a": pattern(90, 70, 0), "ip_b": pattern(256, 320, 1)}
    for name, im in images.items():
        im.save(os.path.join(OUT, name + ".png"))
    # Read back, as the C++ side reads the PNG.
    return {name: Image.open(os.path.join(OUT, name + ".png")).convert("RGB") for name in images}


def make_encoder(name):
    spec = dict(ENCODERS[name])
    seed = spec.pop("seed")
    config = CLIPVisionConfig(image_size=224, patch_size=16, **spec)
    torch.manual_seed(seed)
    model = CLIPVisionModelWithProjection(config)
    with torch.no_grad():  # transformers' init is tiny (std 0.02): widen it so every layer matters
        for pname, p in model.named_parameters():
            if "norm" not in pname:
                p.mul_(3.0)
    folder = os.path.join(OUT, "image_encoder_" + name)
    model.to(F16).save_pretrained(folder, safe_serialization=True)
    return CLIPVisionModelWithProjection.from_pretrained(folder, torch_dtype=torch.float32).eval()


def open_clip_names(hf):
    """transformers CLIPVisionModelWithProjection tensors under open_clip's VisionTransformer names (the inverse of
    transformers' convert_clip_original_pytorch_to_hf mapping): fused in_proj, proj stored as [width, proj_dim]."""
    out = {}
    p = "vision_model."
    out["visual.class_embedding"] = hf[p + "embeddings.class_embedding"]
    out["visual.positional_embedding"] = hf[p + "embeddings.position_embedding.weight"]
    out["visual.conv1.weight"] = hf[p + "embeddings.patch_embedding.weight"]
    for a, b in (("pre_layrnorm", "ln_pre"), ("post_layernorm", "ln_post")):
        out[f"visual.{b}.weight"] = hf[f"{p}{a}.weight"]
        out[f"visual.{b}.bias"] = hf[f"{p}{a}.bias"]
    out["visual.proj"] = hf["visual_projection.weight"].t().contiguous()
    n = 0
    while f"{p}encoder.layers.{n}.layer_norm1.weight" in hf:
        s, d = f"{p}encoder.layers.{n}.", f"visual.transformer.resblocks.{n}."
        for kind in ("weight", "bias"):
            out[d + "attn.in_proj_" + kind] = torch.cat([hf[s + f"self_attn.{x}_proj.{kind}"] for x in "qkv"])
            out[d + "attn.out_proj." + kind] = hf[s + "self_attn.out_proj." + kind]
            out[d + "ln_1." + kind] = hf[s + "layer_norm1." + kind]
            out[d + "ln_2." + kind] = hf[s + "layer_norm2." + kind]
            out[d + "mlp.c_fc." + kind] = hf[s + "mlp.fc1." + kind]
            out[d + "mlp.c_proj." + kind] = hf[s + "mlp.fc2." + kind]
        n += 1
    return out


def cross_attention_keys(unet):
    """(ip_adapter key id, hidden size) of each cross-attention processor, in unet.attn_processors order: the
    original files number every attention processor, so cross-attention ones are 1, 3, 5, ... (diffusers
    _convert_ip_adapter_attn_to_diffusers)."""
    out, key_id = [], 1
    channels = unet.config.block_out_channels
    for name in unet.attn_processors.keys():
        if name.endswith("attn1.processor"):
            continue
        if name.startswith("mid_block"):
            hidden = channels[-1]
        elif name.startswith("up_blocks"):
            hidden = list(reversed(channels))[int(name[len("up_blocks.")])]
        else:
            hidden = channels[int(name[len("down_blocks.")])]
        out.append((key_id, hidden))
        key_id += 2
    return out


def ip_layers(unet, gen, std=0.3):
    cross_dim = unet.config.cross_attention_dim
    sd = {}
    for key_id, hidden in cross_attention_keys(unet):
        sd[f"ip_adapter.{key_id}.to_k_ip.weight"] = torch.randn(hidden, cross_dim, generator=gen) * std
        sd[f"ip_adapter.{key_id}.to_v_ip.weight"] = torch.randn(hidden, cross_dim, generator=gen) * std
    return sd


def make_base_adapter(unet, encoder, path, seed):
    """ip-adapter_sdxl layout: image_proj.proj [4 * cross_dim, projection_dim] + image_proj.norm [cross_dim]."""
    gen = torch.Generator().manual_seed(seed)
    cross = unet.config.cross_attention_dim
    emb = encoder.config.projection_dim
    sd = {"image_proj.proj.weight": torch.randn(4 * cross, emb, generator=gen) / emb ** 0.5,
          "image_proj.proj.bias": torch.randn(4 * cross, generator=gen) * 0.1,
          "image_proj.norm.weight": 1.0 + torch.randn(cross, generator=gen) * 0.2,
          "image_proj.norm.bias": torch.randn(cross, generator=gen) * 0.2}
    sd.update(ip_layers(unet, gen))
    save_file({k: v.to(F16).contiguous() for k, v in sd.items()}, path)


def make_plus_adapter(unet, encoder, path, seed, hidden=64, inner=128, queries=6, depth=4):
    """ip-adapter-plus_sdxl_vit-h layout: a Resampler (perceiver) over the encoder's penultimate hidden states.
    diffusers 0.27.2 builds it with depth 4 and dim_head 64 (heads = to_q rows / 64); inner 128 != hidden 64
    here so that a reader must take each size from its own tensor."""
    gen = torch.Generator().manual_seed(seed)
    cross = unet.config.cross_attention_dim
    embed = encoder.config.hidden_size
    r = lambda *s, std: torch.randn(*s, generator=gen) * std  # noqa: E731
    sd = {"image_proj.latents": r(1, queries, hidden, std=hidden ** -0.5),
          "image_proj.proj_in.weight": r(hidden, embed, std=embed ** -0.5), "image_proj.proj_in.bias": r(hidden, std=0.1),
          "image_proj.proj_out.weight": r(cross, hidden, std=hidden ** -0.5), "image_proj.proj_out.bias": r(cross, std=0.1),
          "image_proj.norm_out.weight": 1.0 + r(cross, std=0.2), "image_proj.norm_out.bias": r(cross, std=0.2)}
    for i in range(depth):
        p = f"image_proj.layers.{i}."
        sd.update({p + "0.norm1.weight": 1.0 + r(hidden, std=0.2), p + "0.norm1.bias": r(hidden, std=0.2),
                   p + "0.norm2.weight": 1.0 + r(hidden, std=0.2), p + "0.norm2.bias": r(hidden, std=0.2),
                   p + "0.to_q.weight": r(inner, hidden, std=hidden ** -0.5),
                   p + "0.to_kv.weight": r(2 * inner, hidden, std=hidden ** -0.5),
                   p + "0.to_out.weight": r(hidden, inner, std=inner ** -0.5),
                   p + "1.0.weight": 1.0 + r(hidden, std=0.2), p + "1.0.bias": r(hidden, std=0.2),
                   p + "1.1.weight": r(4 * hidden, hidden, std=hidden ** -0.5),
                   p + "1.3.weight": r(hidden, 4 * hidden, std=(4 * hidden) ** -0.5)})
    sd.update(ip_layers(unet, gen))
    save_file({k: v.to(F16).contiguous() for k, v in sd.items()}, path)


def stage_model(tmp):
    """tiny-sdxl with its link placeholders (one-line files naming the real file) replaced by their targets."""
    dst = os.path.join(tmp, "tiny-sdxl")
    shutil.copytree(TINY, dst)
    for root, _, names in os.walk(dst):
        for n in names:
            path = os.path.join(root, n)
            if os.path.getsize(path) < 1024:
                text = open(path, "rb").read().decode("utf-8", "replace").strip()
                target = os.path.normpath(os.path.join(os.path.dirname(os.path.join(TINY, os.path.relpath(path, dst))), text))
                if "\n" not in text and os.path.isfile(target):
                    shutil.copyfile(target, path)
    return dst


def encoder_goldens(encoders, images):
    processor = CLIPImageProcessor()
    out = {}
    for ename, enc in encoders.items():
        for iname, im in images.items():
            px = processor(im, return_tensors="pt").pixel_values
            with torch.no_grad():
                o = enc(px, output_hidden_states=True)
            out[f"{iname}.pixel_values"] = px
            out[f"{ename}.{iname}.image_embeds"] = o.image_embeds
            out[f"{ename}.{iname}.penultimate"] = o.hidden_states[-2]
        with torch.no_grad():
            o = enc(torch.zeros_like(px), output_hidden_states=True)
        out[f"{ename}.zeros.image_embeds"] = o.image_embeds
        out[f"{ename}.zeros.penultimate"] = o.hidden_states[-2]
    save_file({k: v.contiguous() for k, v in out.items()}, os.path.join(OUT, "encoder_goldens.safetensors"))


def run_case(pipe, name, adapters, images, scales, cfg, cases, init=None, strength=None, seed=42, steps=4,
             height=64, width=64, control=None):
    """One generation with `adapters` (file names in OUT) and their images/scales; records every step."""
    # load_ip_adapter replaces every attention processor and the projection: no unload needed between cases.
    pipe.load_ip_adapter(OUT, subfolder="", weight_name=adapters, image_encoder_folder=None)
    pipe.set_ip_adapter_scale(scales if len(scales) > 1 else scales[0])
    pipe.scheduler = EulerDiscreteScheduler.from_config(pipe.scheduler.config)
    steps_seen, tokens = [], {}

    def on_step(p, i, t, kw):
        steps_seen.append(kw["latents"].detach().clone())
        return kw

    hook = pipe.unet.encoder_hid_proj.register_forward_hook(
        lambda m, inp, outp: tokens.update({f"tokens.{i}": x.detach().clone() for i, x in enumerate(outp)}))
    g = torch.Generator("cpu").manual_seed(seed)
    kw = dict(prompt=PROMPT, negative_prompt=NEGATIVE, num_inference_steps=steps, guidance_scale=cfg, generator=g,
              output_type="latent", callback_on_step_end=on_step, callback_on_step_end_tensor_inputs=["latents"],
              ip_adapter_image=[images[i] for i in cases_images(name)])
    if init is not None:
        kw.update(image=init, strength=strength)
    else:
        kw.update(height=height, width=width)
    if control is not None:  # one ControlNet: its image (fixtures-relative) and settings
        kw.update(image=Image.open(os.path.join(FIX, control["image"])), controlnet_conditioning_scale=control["scale"],
                  control_guidance_start=control["start"], control_guidance_end=control["end"])
    latents = pipe(**kw).images
    hook.remove()
    # The projection runs once per UNet call on the same embeddings: the first call's tokens are every call's.
    save_file({"step_latents": torch.stack(steps_seen).contiguous(), "final_latents": latents.contiguous(),
               **{k: v.contiguous() for k, v in tokens.items()}}, os.path.join(OUT, name + ".safetensors"))
    cases[name] = {"adapters": adapters, "images": [i + ".png" for i in cases_images(name)], "scales": scales,
                   "guidance_scale": cfg, "sampler": "euler", "steps": steps, "seed": seed, "prompt": PROMPT,
                   "negative_prompt": NEGATIVE, "height": latents.shape[2] * 8, "width": latents.shape[3] * 8,
                   "init_image": "pipeline_golden/base_euler_4_cfg5.png" if init is not None else None,
                   "strength": strength, "steps_run": len(steps_seen)}
    if control is not None:
        cases[name]["controls"] = [control]


CASE_IMAGES = {}


def cases_images(name):
    return CASE_IMAGES[name]


def main():
    if int(PIL.__version__.split(".")[0]) >= 13:
        raise SystemExit(f"Pillow {PIL.__version__} resizes tall shrinks vertical pass first (the ControlNet case's "
                         "control image): run scripts/reference_env.sh, which pins 12.3.0")
    os.makedirs(OUT, exist_ok=True)
    images = make_images()
    encoders = {name: make_encoder(name) for name in ENCODERS}
    encoder_goldens(encoders, images)
    gelu = load_file(os.path.join(OUT, "image_encoder_gelu", "model.safetensors"))
    save_file(gelu, os.path.join(OUT, "encoder_gelu_single.safetensors"))
    save_file(open_clip_names(gelu), os.path.join(OUT, "encoder_gelu_open_clip.safetensors"))

    tmp = tempfile.mkdtemp(prefix="ip_goldens_")
    model = stage_model(tmp)
    pipe = StableDiffusionXLPipeline.from_pretrained(model, torch_dtype=torch.float32)
    pipe.set_progress_bar_config(disable=True)
    make_base_adapter(pipe.unet, encoders["gelu"], os.path.join(OUT, "ip_base.safetensors"), 21)
    make_base_adapter(pipe.unet, encoders["quick_gelu"], os.path.join(OUT, "ip_base_quick.safetensors"), 22)
    make_plus_adapter(pipe.unet, encoders["gelu"], os.path.join(OUT, "ip_plus.safetensors"), 23)

    cases = {}
    pipe.register_modules(image_encoder=encoders["gelu"], feature_extractor=CLIPImageProcessor())
    for name, adapters, imgs, scales, cfg in [
            ("ip_base_s0.6_cfg5", ["ip_base.safetensors"], ["ip_a"], [0.6], 5.0),
            ("ip_base_s0.6_cfg1", ["ip_base.safetensors"], ["ip_a"], [0.6], 1.0),
            ("ip_plus_s0.7_cfg5", ["ip_plus.safetensors"], ["ip_b"], [0.7], 5.0),
            ("ip_plus_s0.7_cfg1", ["ip_plus.safetensors"], ["ip_b"], [0.7], 1.0),
            ("ip_two_cfg5", ["ip_base.safetensors", "ip_plus.safetensors"], ["ip_a", "ip_b"], [0.6, 0.4], 5.0)]:
        CASE_IMAGES[name] = imgs
        run_case(pipe, name, adapters, images, scales, cfg, cases)

    # img2img: the same components in the img2img pipeline.
    i2i = StableDiffusionXLImg2ImgPipeline(**pipe.components)
    i2i.set_progress_bar_config(disable=True)
    init = Image.open(os.path.join(FIX, "pipeline_golden", "base_euler_4_cfg5.png")).convert("RGB")
    CASE_IMAGES["ip_base_img2img_s0.6"] = ["ip_b"]
    run_case(i2i, "ip_base_img2img_s0.6", ["ip_base.safetensors"], images, [0.6], 5.0, cases, init=init,
             strength=0.6, steps=5)

    quick = StableDiffusionXLPipeline(**{**pipe.components, "image_encoder": encoders["quick_gelu"]})
    quick.set_progress_bar_config(disable=True)
    CASE_IMAGES["ip_quick_s1.0_cfg5"] = ["ip_b"]
    run_case(quick, "ip_quick_s1.0_cfg5", ["ip_base_quick.safetensors"], images, [1.0], 5.0, cases)
    cn = ControlNetModel.from_pretrained(os.path.join(FIX, "control_golden", "tiny-controlnet"), torch_dtype=torch.float32)
    cpipe = StableDiffusionXLControlNetPipeline(**pipe.components, controlnet=cn)
    cpipe.set_progress_bar_config(disable=True)
    CASE_IMAGES["ip_base_controlnet_s0.6"] = ["ip_a"]
    run_case(cpipe, "ip_base_controlnet_s0.6", ["ip_base.safetensors"], images, [0.6], 5.0, cases,
             control={"model": "control_golden/tiny-controlnet", "image": "control_golden/control_a.png",
                      "scale": 0.7, "start": 0.1, "end": 0.9})
    for c in cases.values():
        c["image_encoder"] = "image_encoder_quick_gelu" if c["adapters"] == ["ip_base_quick.safetensors"] \
            else "image_encoder_gelu"
    # hashlib's sha256 of the files a run reads, which the PNG metadata records.
    cases["_sha256"] = {n: hashlib.sha256(open(os.path.join(OUT, n), "rb").read()).hexdigest()
                        for n in ["ip_a.png", "ip_b.png", "ip_base.safetensors", "ip_base_quick.safetensors",
                                  "ip_plus.safetensors"]}
    cases["_doc"] = ("diffusers 0.27.2 StableDiffusionXL(Img2Img)Pipeline + load_ip_adapter, float32 CPU, "
                     "EulerDiscreteScheduler; tests/vision/data/make_ip_adapter_goldens.py")
    with open(os.path.join(OUT, "cases.json"), "w") as f:
        json.dump(cases, f, indent=1, sort_keys=True)
        f.write("\n")
    shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
