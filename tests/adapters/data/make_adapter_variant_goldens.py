"""Goldens for the adapter layouts README's table promises beyond make_adapter_goldens.py's cases (issue 29):
LoKr with a split w1 (lokr_w1_a/_b), with a full w2 (lokr_w2), with a Tucker w2 (lokr_t2 + lokr_w2_a/_b on
3x3 convs); PEFT/diffusers' older names (`.lora.down.weight`, `.lora_linear_layer.down.weight`,
`attn1.processor.to_q_lora.down.weight`); kohya `lora_te_*` (CLIP-L, the SD 1.x prefix).

Run from the repository root with the pinned reference environment (scripts/reference_env.sh):
    .venv-ref/bin/python tests/adapters/data/make_adapter_variant_goldens.py
It rewrites tests/adapters/data/variant_*.safetensors, variant_goldens.safetensors and variant_cases.json;
make_adapter_goldens.py's files are not touched (its helpers are imported; its generator is not used).

Reference semantics:
  * the LoRA name variants: diffusers 0.27.2 load_lora_weights + fuse_lora(lora_scale=multiplier), PEFT backend
    (diffusers maps the older names through utils/state_dict_utils.py, the kohya te prefix through
    loaders/lora_conversion_utils.py);
  * LoKr: LyCORIS 2.2's own weight-generation functions, lycoris.modules.lokr.make_kron and make_weight_tucker,
    with LokrModule's scale (alpha / lora_dim, lora_dim = the rank of the split factors; scale 1 when w1 and w2
    are both full) -- its make_module cannot rebuild these layouts (it takes the Tucker rank from w2_a's columns,
    and derives a factorisation that need not match a file's w1), so the merge is W += multiplier * delta, the
    same as LokrModule.merge_to.
Every case asserts that the reference changed exactly the parameters the file targets.
"""
import json
import os
import sys

import torch
from lycoris.modules.lokr import make_kron, make_weight_tucker
from safetensors.torch import save_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_adapter_goldens as base  # noqa: E402  (helpers only: fixture loading, module lists, outputs)

OUT = base.OUT
RANK = 2
gen = torch.Generator().manual_seed(4321)


def randn(*shape, std=1.0):
    return torch.randn(*shape, generator=gen) * std


def peft_old_files(pipe):
    """The older diffusers / PEFT names for the same LoRA factors."""
    unet, te1, te2 = pipe.unet, pipe.text_encoder, pipe.text_encoder_2
    files = {}
    # LoRACompatibleLinear: unet.<module>.lora.down.weight
    sd = {}
    for n, m in base.unet_linears(unet):
        down, up = base.lora_pair(m, RANK, base.F16)
        sd[f"unet.{n}.lora.down.weight"], sd[f"unet.{n}.lora.up.weight"] = down, up
    files["variant_peft_lora_dot"] = (sd, 0.9)
    # the text encoders' LoRA linear layers: text_encoder(_2).<module>.lora_linear_layer.down.weight
    sd = {}
    for comp, te in (("text_encoder", te1), ("text_encoder_2", te2)):
        for n, m in base.te_linears(te):
            down, up = base.lora_pair(m, RANK, base.F16)
            sd[f"{comp}.{n}.lora_linear_layer.down.weight"], sd[f"{comp}.{n}.lora_linear_layer.up.weight"] = down, up
    files["variant_peft_linear_layer"] = (sd, 0.7)
    # attention processors: unet.<block>.attnN.processor.to_q_lora.down.weight (to_q/k/v/out)
    sd = {}
    for n, m in base.unet_linears(unet):
        parts = n.split(".")
        if parts[-1] in ("to_q", "to_k", "to_v"):
            attn, proj = ".".join(parts[:-1]), parts[-1]
        elif parts[-2:] == ["to_out", "0"]:
            attn, proj = ".".join(parts[:-2]), "to_out"
        else:
            continue
        down, up = base.lora_pair(m, RANK, base.F16)
        sd[f"unet.{attn}.processor.{proj}_lora.down.weight"] = down
        sd[f"unet.{attn}.processor.{proj}_lora.up.weight"] = up
    files["variant_peft_processor"] = (sd, -0.8)
    # kohya lora_te_* = CLIP-L (text_encoder)
    files["variant_kohya_te_clip_l"] = (base.kohya_file([("lora_te_" + n.replace(".", "_"), m) for n, m in
                                                         base.te_linears(te1)], alpha=1, dtype=base.F16), 1.0)
    return files


def lokr_factors(layout, m):
    """One module's LoKr tensors in `layout`, and LokrModule's scale for them."""
    w = m.weight
    out_f, in_f, k = w.shape[0], w.shape[1], tuple(w.shape[2:])
    a, c = 4, 4  # w1: [a, c]; w2: [out/a, in/c (, k)]
    b, d = out_f // a, in_f // c
    alpha = 2.0
    sd = {"alpha": torch.tensor(alpha)}
    kk = 1
    for s in k:
        kk *= s
    if layout == "w1ab":  # split w1 and split w2 ("decompose both")
        sd["lokr_w1_a"], sd["lokr_w1_b"] = randn(a, 1, std=0.7), randn(1, c, std=0.7)
        sd["lokr_w2_a"], sd["lokr_w2_b"] = randn(b, 1, std=0.3), randn(1, d * kk, std=1.0 / (d * kk) ** 0.5)
        rank = 1
    elif layout == "w2full":  # full w1 and full w2: LyCORIS ignores alpha
        sd["lokr_w1"] = randn(a, c, std=0.5)
        sd["lokr_w2"] = randn(b, d, *k, std=0.3 / (d * kk) ** 0.5)
        rank = None
    else:  # "tucker": full w1, w2 = t2 x w2_a x w2_b on a 3x3 kernel
        sd["lokr_w1"] = randn(a, c, std=0.5)
        sd["lokr_t2"] = randn(RANK, RANK, *k, std=0.5)
        sd["lokr_w2_a"] = randn(RANK, b, std=0.3)
        sd["lokr_w2_b"] = randn(RANK, d, std=1.0 / (d * kk) ** 0.5)
        rank = RANK
    scale = 1.0 if rank is None else alpha / rank
    return sd, scale


def lokr_delta(sd, scale, shape):
    w1 = sd["lokr_w1"] if "lokr_w1" in sd else sd["lokr_w1_a"] @ sd["lokr_w1_b"]
    if "lokr_w2" in sd:
        w2 = sd["lokr_w2"]
    elif "lokr_t2" in sd:
        w2 = make_weight_tucker(sd["lokr_t2"], sd["lokr_w2_a"], sd["lokr_w2_b"])
    else:
        w2 = sd["lokr_w2_a"] @ sd["lokr_w2_b"]
    return make_kron(w1, w2, torch.tensor(scale)).reshape(shape)


def main():
    goldens, cases = {}, []
    pipe = base.load_pipe()
    to_sgm = base.sgm_names(pipe)
    inputs = base.unet_inputs()
    files = peft_old_files(pipe)
    for name, (sd, mult) in files.items():
        path = f"{OUT}/{name}.safetensors"
        save_file(sd, path)
        pipe = base.load_pipe()
        before = base.snapshot(pipe)
        pipe.load_lora_weights(path)
        pipe.fuse_lora(lora_scale=mult)
        pipe.unload_lora_weights()
        modules = {k.rsplit(".lora", 1)[0] for k in sd if ".down." in k or "lora_down" in k}
        now_changed = base.changed(before, pipe)
        assert len(now_changed) == len(modules), f"{name}: reference changed {len(now_changed)}, file has {len(modules)}"
        base.outputs(pipe, inputs, name, goldens)
        cases.append({"name": name, "file": f"{name}.safetensors", "multiplier": mult, "tensors": len(modules),
                      "per_component": base.per_component(now_changed)})

    for layout, mult in (("w1ab", 0.8), ("w2full", 0.6), ("tucker", 1.0)):
        name = f"variant_lokr_{layout}"
        pipe = base.load_pipe()
        convs = base.unet_convs(pipe.unet)
        if layout == "tucker":
            mods = [(f"lora_unet_{to_sgm[n].replace('.', '_')}", m) for n, m in convs[:6]]
        else:
            mods = [(f"lora_unet_{to_sgm[n].replace('.', '_')}", m) for n, m in base.unet_linears(pipe.unet)[:8] + convs[:4]]
            mods += [(f"lora_te1_{n.replace('.', '_')}", m) for n, m in base.te_linears(pipe.text_encoder)[:4]]
            mods += [(f"lora_te2_{n.replace('.', '_')}", m) for n, m in base.te_linears(pipe.text_encoder_2)[:4]]
        sd = {}
        before = base.snapshot(pipe)
        with torch.no_grad():
            for lora_name, m in mods:
                factors, scale = lokr_factors(layout, m)
                m.weight.add_(lokr_delta(factors, scale, m.weight.shape) * mult)
                sd.update({f"{lora_name}.{k}": v for k, v in factors.items()})
        save_file(sd, f"{OUT}/{name}.safetensors")
        now_changed = base.changed(before, pipe)
        assert len(now_changed) == len(mods)
        base.outputs(pipe, inputs, name, goldens)
        cases.append({"name": name, "file": f"{name}.safetensors", "multiplier": mult, "tensors": len(mods),
                      "per_component": base.per_component(now_changed)})

    save_file(goldens, f"{OUT}/variant_goldens.safetensors")
    for c in cases:
        c.update(base.file_hashes(f"{OUT}/{c['file']}"))
    with open(f"{OUT}/variant_cases.json", "w") as f:
        json.dump({"prompt": base.PROMPT, "cases": cases}, f, indent=1)
        f.write("\n")
    for c in cases:
        d = (goldens[c["name"] + ".unet"] - base_none(inputs)).abs().max().item()
        print(f"{c['name']}: {c['tensors']} tensors, unet change {d:.4f}")


def base_none(inputs):
    g = {}
    base.outputs(base.load_pipe(), inputs, "none", g)
    return g["none.unet"]


if __name__ == "__main__":
    main()
