"""Golden fixtures for tests/adapters: small random LoRA / LyCORIS files for the tiny SDXL fixtures, and what
the reference code computes with them.

Run from the repository root with the pinned reference environment (scripts/reference_env.sh):
    .venv-ref/bin/python tests/adapters/data/make_adapter_goldens.py
It rewrites tests/adapters/data/{*.safetensors,goldens.safetensors,cases.json}.

Reference semantics:
  * LoRA (kohya SGM names, kohya diffusers names, PEFT names, LoCon convs, text-encoder-only): diffusers 0.27.2
    StableDiffusionXLPipeline.load_lora_weights + fuse_lora(lora_scale=multiplier) with the PEFT backend.
  * LoHa / LoKr: the LyCORIS package's own modules (lycoris.modules.make_module(...).merge_to(multiplier)),
    added to the diffusers modules the kohya names denote.
Every case asserts that the reference changed exactly the parameters the file targets (so a file the
reference silently ignored in part cannot become a golden).
Goldens per case: prompt embeddings and pooled embeddings of one prompt, and one UNet forward on fixed inputs;
plus a short end-to-end run (3 Euler steps) with the kohya SGM file.
"""
import hashlib
import json
import os
import shutil
import tempfile

import torch
from safetensors.torch import load_file, save_file

from diffusers import EulerDiscreteScheduler, StableDiffusionXLPipeline
from lycoris.modules import make_module
from lycoris.utils import get_module

FIX = "tests/fixtures"
OUT = "tests/adapters/data"
RANK = 2
F16 = torch.float16  # LoRA files as trainers usually save them (and half the fixture size)
PROMPT = "a photograph of an astronaut riding a horse"
gen = torch.Generator().manual_seed(1234)


def randn(*shape, std=1.0):
    return torch.randn(*shape, generator=gen) * std


def file_hashes(path):
    """sha256 of the whole file, and of the safetensors data section (the bytes after the 8-byte length and
    the JSON header): the LoRA hash kohya's scripts and the AUTOMATIC1111 web UI compute, whose first 12 hex
    digits the web UI writes as "Lora hashes"."""
    data = open(path, "rb").read()
    header = int.from_bytes(data[:8], "little")
    return {"sha256": hashlib.sha256(data).hexdigest(), "webui_hash": hashlib.sha256(data[8 + header:]).hexdigest()[:12]}


def resolved_fixture():
    """tiny-sdxl with its link placeholders (one-line files naming the real file, e.g. the tokenizer vocab)
    replaced by copies of their targets, in a temporary folder."""
    global _TMP
    if _TMP is None:
        _TMP = tempfile.mkdtemp(prefix="adapter_goldens_")
        shutil.copytree(f"{FIX}/tiny-sdxl", f"{_TMP}/tiny-sdxl")
        for root, _, names in os.walk(f"{_TMP}/tiny-sdxl"):
            for n in names:
                p = os.path.join(root, n)
                if os.path.getsize(p) <= 1024:
                    text = open(p, "rb").read().decode("utf-8", "replace").strip()
                    src = os.path.join(FIX, os.path.relpath(root, _TMP), text)
                    if "\n" not in text and os.path.isfile(src):
                        shutil.copyfile(src, p)
    return f"{_TMP}/tiny-sdxl"


_TMP = None


def load_pipe():
    pipe = StableDiffusionXLPipeline.from_pretrained(resolved_fixture(), torch_dtype=torch.float32)
    pipe.scheduler = EulerDiscreteScheduler.from_config(pipe.scheduler.config)
    pipe.set_progress_bar_config(disable=True)
    return pipe


# diffusers UNet module name -> SGM (original) module name, found by matching the tensors of the same tiny
# model in its two layouts (weights are random, so equal tensors identify each other).
def sgm_names(pipe):
    single = load_file(f"{FIX}/tiny_sdxl_base.safetensors")
    prefix = "model.diffusion_model."
    by_value = {}
    for k, v in single.items():
        if k.startswith(prefix) and k.endswith(".weight"):
            by_value.setdefault((tuple(v.shape), float(v.flatten()[:8].double().sum())), []).append(k[len(prefix):])
    out = {}
    for name, p in pipe.unet.named_parameters():
        if not name.endswith(".weight"):
            continue
        cands = by_value.get((tuple(p.shape), float(p.detach().flatten()[:8].double().sum())), [])
        cands = [c for c in cands if torch.equal(single[prefix + c], p.detach())]
        if len(cands) == 1:
            out[name[: -len(".weight")]] = cands[0][: -len(".weight")]
    return out


def linear_targets(model, kinds):
    return [(n, m) for n, m in model.named_modules() if isinstance(m, torch.nn.Linear) and n.split(".")[-1] in kinds]


UNET_ATTN = {"to_q", "to_k", "to_v", "0", "proj", "2", "proj_in", "proj_out"}


def unet_linears(unet):
    # attention q/k/v/out, feed-forward in/out, transformer proj_in/out (the kohya default LoRA targets)
    out = []
    for n, m in linear_targets(unet, UNET_ATTN):
        if "transformer_blocks" in n or n.endswith("proj_in") or n.endswith("proj_out"):
            out.append((n, m))
    return out


def unet_convs(unet):
    return [(n, m) for n, m in unet.named_modules() if isinstance(m, torch.nn.Conv2d) and m.kernel_size == (3, 3)
            and ("resnets" in n or "samplers" in n)]


def te_linears(te):
    return linear_targets(te, {"q_proj", "k_proj", "v_proj", "out_proj", "fc1", "fc2"})


def lora_pair(m, rank, dtype=torch.float32):
    if isinstance(m, torch.nn.Conv2d):
        down = randn(rank, m.in_channels, *m.kernel_size, std=1.0 / (m.in_channels * 9) ** 0.5)
        up = randn(m.out_channels, rank, 1, 1, std=0.3)
    else:
        down = randn(rank, m.in_features, std=1.0 / m.in_features ** 0.5)
        up = randn(m.out_features, rank, std=0.3)
    return down.to(dtype), up.to(dtype)


def kohya_file(groups, alpha, dtype=torch.float32):
    """groups: [(kohya module name, torch module)] -> kohya LoRA state dict."""
    sd = {}
    for name, m in groups:
        down, up = lora_pair(m, RANK, dtype)
        sd[f"{name}.lora_down.weight"] = down
        sd[f"{name}.lora_up.weight"] = up
        if alpha is not None:
            sd[f"{name}.alpha"] = torch.tensor(float(alpha), dtype=dtype)
    return sd


def snapshot(pipe):
    return {f"{c}.{n}": p.detach().clone() for c in ("unet", "text_encoder", "text_encoder_2")
            for n, p in getattr(pipe, c).named_parameters()}


def changed(before, pipe):
    now = snapshot(pipe)
    return sorted(k for k in before if not torch.equal(before[k], now[k]))


def per_component(names):
    """Changed parameters per component, in the report line's short names."""
    short = {"unet": "unet", "text_encoder": "te1", "text_encoder_2": "te2"}
    out = {}
    for n in names:
        c = short[n.split(".")[0]]
        out[c] = out.get(c, 0) + 1
    return out


def unet_inputs():
    g = torch.Generator().manual_seed(7)
    return {
        "sample": torch.randn(2, 4, 8, 8, generator=g),
        "timestep": torch.tensor([500.0, 500.0]),
        "encoder_hidden_states": torch.randn(2, 77, 80, generator=g),
        "text_embeds": torch.randn(2, 32, generator=g),
        "time_ids": torch.tensor([[64.0, 64, 0, 0, 64, 64]] * 2),
    }


def outputs(pipe, inputs, name, goldens):
    with torch.no_grad():
        ctx, _, pooled, _ = pipe.encode_prompt(PROMPT, device="cpu", do_classifier_free_guidance=False)
        out = pipe.unet(inputs["sample"], inputs["timestep"], encoder_hidden_states=inputs["encoder_hidden_states"],
                        added_cond_kwargs={"text_embeds": inputs["text_embeds"], "time_ids": inputs["time_ids"]}).sample
    goldens[f"{name}.context"] = ctx.contiguous()
    goldens[f"{name}.pooled"] = pooled.contiguous()
    goldens[f"{name}.unet"] = out.contiguous()


def main():
    pipe = load_pipe()
    to_sgm = sgm_names(pipe)
    inputs = unet_inputs()
    assert inputs["text_embeds"].shape[1] + 6 * pipe.unet.config.addition_time_embed_dim == \
        pipe.unet.config.projection_class_embeddings_input_dim
    goldens = {f"inputs.{k}": v for k, v in inputs.items()}
    outputs(pipe, inputs, "none", goldens)
    cases = []

    def kohya_unet(mods, sgm):
        return [("lora_unet_" + (to_sgm[n] if sgm else n).replace(".", "_"), m) for n, m in mods]

    def kohya_te(prefix, te):
        return [(f"lora_{prefix}_" + n.replace(".", "_"), m) for n, m in te_linears(te)]

    te1, te2, unet = pipe.text_encoder, pipe.text_encoder_2, pipe.unet
    files = {
        "kohya_sgm": (kohya_file(kohya_unet(unet_linears(unet), True) + kohya_te("te1", te1) + kohya_te("te2", te2),
                                 alpha=2, dtype=torch.float16), 0.6),
        "kohya_diffusers": (kohya_file(kohya_unet(unet_linears(unet), False), alpha=8, dtype=F16), -0.5),
        "locon": (kohya_file(kohya_unet(unet_convs(unet) + unet_linears(unet)[:6], True), alpha=1, dtype=F16), 1.0),
        "te_only": (kohya_file(kohya_te("te1", te1) + kohya_te("te2", te2), alpha=None, dtype=F16), 1.0),
    }
    peft = {}
    for comp, mods in (("unet", unet_linears(unet)), ("text_encoder", te_linears(te1)),
                       ("text_encoder_2", te_linears(te2))):
        for n, m in mods:
            down, up = lora_pair(m, RANK, F16)
            peft[f"{comp}.{n}.lora_A.weight"] = down
            peft[f"{comp}.{n}.lora_B.weight"] = up
    files["peft"] = (peft, 0.8)

    for name, (sd, mult) in files.items():
        path = f"{OUT}/{name}.safetensors"
        save_file(sd, path)
        pipe = load_pipe()
        before = snapshot(pipe)
        pipe.load_lora_weights(path)
        pipe.fuse_lora(lora_scale=mult)
        pipe.unload_lora_weights()  # drops the (already fused) adapter layers; the merged weights stay
        modules = {k.rsplit(".lora", 1)[0] for k in sd if "lora_down" in k or "lora_A" in k}
        now_changed = changed(before, pipe)
        assert len(now_changed) == len(modules), f"{name}: reference changed {len(now_changed)} tensors, file has {len(modules)}"
        outputs(pipe, inputs, name, goldens)
        cases.append({"name": name, "file": f"{name}.safetensors", "multiplier": mult, "tensors": len(modules),
                      "per_component": per_component(now_changed)})

    # LyCORIS: LoHa and LoKr on UNet linears + convs and encoder linears, merged by the package's own modules.
    def lycoris_file(kind, mods, tucker=False):
        sd = {}
        for name, m in mods:
            w = m.weight
            out_f, in_f, kk = w.shape[0], w.shape[1], w[0, 0].numel()
            if tucker:  # LoHa on conv kernels: a core [rank, rank, k, k] with output / input factors (LyCORIS layout)
                for i in (1, 2):
                    sd[f"{name}.hada_t{i}"] = randn(RANK, RANK, *w.shape[2:], std=0.5)
                    sd[f"{name}.hada_w{i}_a"] = randn(RANK, out_f, std=0.3)
                    sd[f"{name}.hada_w{i}_b"] = randn(RANK, in_f, std=1.0 / (in_f * kk) ** 0.5)
            elif kind == "hada":
                for i in (1, 2):
                    sd[f"{name}.hada_w{i}_a"] = randn(out_f, RANK, std=0.3)
                    sd[f"{name}.hada_w{i}_b"] = randn(RANK, in_f * kk, std=1.0 / (in_f * kk) ** 0.5)
            else:  # LoKr: a full small w1 (2 x 2) and a low-rank w2
                sd[f"{name}.lokr_w1"] = randn(2, 2, std=0.5)
                sd[f"{name}.lokr_w2_a"] = randn(out_f // 2, RANK, std=0.3)
                sd[f"{name}.lokr_w2_b"] = randn(RANK, in_f // 2 * kk, std=1.0 / (in_f * kk) ** 0.5)
            sd[f"{name}.alpha"] = torch.tensor(2.0)
        return sd

    for kind, name, mult, tucker in (("hada", "loha", 0.7, False), ("kron", "lokr", 1.0, False),
                                     ("hada", "loha_tucker", 0.5, True)):
        # (No LoKr Tucker case: this LyCORIS release's make_module takes the rank from lokr_w2_a's columns,
        # which in the Tucker layout are the output factor, and cannot rebuild its own Tucker LoKr modules.)
        pipe = load_pipe()
        if tucker:
            mods = [(f"lora_unet_{to_sgm[n].replace('.', '_')}", m) for n, m in unet_convs(pipe.unet)[:6]]
        else:
            mods = [(f"lora_unet_{to_sgm[n].replace('.', '_')}", m) for n, m in unet_linears(pipe.unet)[:8] + unet_convs(pipe.unet)[:4]]
            mods += [(f"lora_te1_{n.replace('.', '_')}", m) for n, m in te_linears(pipe.text_encoder)[:4]]
            mods += [(f"lora_te2_{n.replace('.', '_')}", m) for n, m in te_linears(pipe.text_encoder_2)[:4]]
        sd = lycoris_file(kind, mods, tucker)
        save_file(sd, f"{OUT}/{name}.safetensors")
        before = snapshot(pipe)
        with torch.no_grad():
            for lora_name, m in mods:
                lyco_type, params = get_module(sd, lora_name)
                assert params[-1] is None  # dora_scale: this LyCORIS release's make_module takes the rest
                params = params[:-1]
                assert lyco_type == kind, (lyco_type, kind)
                make_module(lyco_type, params, lora_name, m).merge_to(mult)
        now_changed = changed(before, pipe)
        assert len(now_changed) == len(mods)
        outputs(pipe, inputs, name, goldens)
        cases.append({"name": name, "file": f"{name}.safetensors", "multiplier": mult, "tensors": len(mods),
                      "per_component": per_component(now_changed)})

    # End to end: the kohya SGM file at 0.6, 3 Euler steps, 64x64, cfg 5, seed 42, final latents.
    pipe = load_pipe()
    pipe.load_lora_weights(f"{OUT}/kohya_sgm.safetensors")
    pipe.fuse_lora(lora_scale=0.6)
    e2e = {"prompt": PROMPT, "negative_prompt": "blurry", "steps": 3, "cfg": 5.0, "seed": 42, "height": 64, "width": 64,
           "lora": "kohya_sgm.safetensors", "multiplier": 0.6}
    latents = pipe(prompt=PROMPT, negative_prompt="blurry", num_inference_steps=3, guidance_scale=5.0, height=64,
                   width=64, generator=torch.Generator("cpu").manual_seed(42), output_type="latent").images
    goldens["e2e.latents"] = latents.contiguous()
    save_file(goldens, f"{OUT}/goldens.safetensors")
    for c in cases:
        c.update(file_hashes(f"{OUT}/{c['file']}"))
    with open(f"{OUT}/cases.json", "w") as f:
        json.dump({"prompt": PROMPT, "cases": cases, "e2e": e2e}, f, indent=1)
    for c in cases:
        d = (goldens[c["name"] + ".unet"] - goldens["none.unet"]).abs().max().item()
        e = (goldens[c["name"] + ".context"] - goldens["none.context"]).abs().max().item()
        print(f"{c['name']}: {c['tensors']} tensors, unet change {d:.4f}, context change {e:.4f}")


if __name__ == "__main__":
    main()
