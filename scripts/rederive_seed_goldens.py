"""Re-derives the seed goldens that came with the first commit (issue 29) with the pinned reference environment
(scripts/reference_env.sh: diffusers 0.27.2, transformers 4.44.2, open_clip 2.24), writes what it computed to a
scratch folder and compares every tensor of the committed files with it, within each quantity's stated tolerance
(TOL below):

  tests/fixtures/pipeline_golden/<case>   StableDiffusionXL(Img2Img)Pipeline run from the case's own inputs (the
                                          scheduler class and config it records), with what the golden records
                                          taken from inside the call: the noise drawn, prompt embeddings and
                                          micro-conditioning handed to the UNet, each step's noise prediction and
                                          latents, prepare_latents' result, the VAE posterior (img2img); the raw
                                          decode and the 8-bit PNG
  tests/fixtures/scheduler_golden.json    every schedule (timesteps, sigmas, init_noise_sigma, DDIM alphas,
                                          img2img, split 0.8) and the 10-step step goldens (its step_golden_doc)
  tests/fixtures/model_golden.*           timestep / added-condition embeddings, UNet base and refiner (output and
                                          every recorded module output), VAE decode and encode with their module
                                          outputs, from the inputs stored in the golden (random draws whose seeds
                                          are not recorded: those are read, and listed as inputs)
  tests/fixtures/text_golden.*            open_clip's tokenizer (as the golden was made) into both transformers
                                          encoders (every hidden state, penultimate, last, pooled, contexts);
                                          encode_prompt for every recorded case
  tests/fixtures/tokenizer/tokenizer_golden.json   open_clip's SimpleTokenizer (ids, 77-token inputs of both
                                          encoders)
  tests/fixtures/aspect_buckets.json      the file it cites, Stability-AI/generative-models
                                          scripts/demo/sampling.py at the recorded commit (SD_XL_BASE_RATIOS and
                                          the demo's default index); that repository is no package, so the file
                                          is given with --sampling-py

The files in tests/fixtures are only read (they stay byte-identical to ../shared/fixtures).

Usage, from the repository root:
    git -C <generative-models checkout> show 0ad7de9a5cb53fd63d6d30a4f385485e72e08597:scripts/demo/sampling.py > /tmp/sampling.py
    .venv-ref/bin/python scripts/rederive_seed_goldens.py --sampling-py /tmp/sampling.py [--out DIR]
        [--only tokenizer,scheduler,model,text,pipeline,buckets]
Prints two markdown tables (per file; per quantity) with the max abs difference, the max difference relative to
the golden's peak |x|, the tolerance and the verdict; exit status 1 when a quantity is beyond its tolerance.
docs/test-goldens.md holds the printed tables of the last run.
"""
import argparse
import functools
import json
import os
import sys
import tempfile

import numpy as np
import torch
from PIL import Image
from safetensors.torch import load_file, save_file

from reference_fixtures import load_pipeline, resolved_copy  # the tiny fixture models as the reference loads them

FIX = "tests/fixtures/"
# Tolerances (README-models.md sec. 7 measured float32 vs float64 at ~1e-6 components, 2e-5 pipeline latents):
# a re-derivation on another CPU / torch build differs only by float32 reordering.
TOL = {"component": 1e-5, "latents_rel": 1e-5, "latents_abs": 1e-4, "image": 1e-5, "schedule_rel": 1e-6,
       "png_levels": 1}
ROWS = []  # one per compared quantity: file, quantity, max abs diff, peak |golden|, tolerance, tolerance text
EXACT = ("input_ids", "eos_index", "initial_noise", "add_noise", "sample_noise", "add_time_ids")
LATENTS = ("step_latents", "final_latents", "init_latents", "image_latents", "step_noise_pred")
INPUT_KEYS = ("unet_base.in.", "unet_refiner.in.", "temb.sin32.t", "temb.sin16.t", "vae.enc.image", "vae.dec.latent",
              "emb.base.timesteps", "emb.base.pooled", "emb.base.time_ids", "emb.refiner.timesteps",
              "emb.refiner.pooled", "emb.refiner.time_ids")


def report(file, what, diff, tol, peak=0.0, tol_text=None):
    ROWS.append({"file": file, "what": what, "abs": float(diff), "peak": float(peak), "tol": float(tol),
                 "tol_text": tol_text or f"{tol:.3g}", "ok": bool(diff <= tol)})


def tolerance(key, golden):
    """The stated tolerance of one golden tensor (see TOL): exact for integers and seeded noise, the latents'
    max(abs, rel x peak), images and component outputs absolute."""
    last = key.split(".")[-1]
    if last in EXACT:
        return 0.0, "0 (exact)"
    if last in LATENTS or (last == "preprocessed_image" and golden.shape[1] == 4):  # latents handed over
        return (max(TOL["latents_abs"], TOL["latents_rel"] * golden.abs().max().item()),
                f"max({TOL['latents_abs']:g}, {TOL['latents_rel']:g} x peak)")
    if last == "image":
        return TOL["image"], f"{TOL['image']:g}"
    return TOL["component"], f"{TOL['component']:g}"


def compare_file(file, got, golden):
    """Every tensor of a committed golden file against the re-derived one; the golden's own inputs (read from it,
    not derived) are listed, and any other tensor the re-derivation lacks is a failure."""
    for key in sorted(golden):
        want = golden[key]
        if key not in got:
            if key.startswith(INPUT_KEYS):
                report(file, key + " (input, read from the golden)", 0.0, 0.0, tol_text="-")
            else:
                report(file, key + " (NOT re-derived)", float("inf"), 0.0)
            continue
        tol, text = tolerance(key, want)
        peak = want.double().abs().max().item() if want.numel() else 0.0
        report(file, key, maxdiff(got[key], want), tol, peak, text)


def maxdiff(a, b):
    a, b = torch.as_tensor(a).double(), torch.as_tensor(b).double()
    if a.shape != b.shape:
        return float("inf")
    return (a - b).abs().max().item() if a.numel() else 0.0


# ---------------------------------------------------------------- pipeline_golden
def pipeline_goldens(out):
    import diffusers
    from diffusers import StableDiffusionXLImg2ImgPipeline, StableDiffusionXLPipeline
    base = load_pipeline(StableDiffusionXLPipeline, FIX + "tiny-sdxl")
    refiner = load_pipeline(StableDiffusionXLImg2ImgPipeline, FIX + "tiny-sdxl-refiner",
                            text_encoder_2=base.text_encoder_2, tokenizer_2=base.tokenizer_2)
    os.makedirs(out + "/pipeline_golden", exist_ok=True)
    names = sorted(n[:-5] for n in os.listdir(FIX + "pipeline_golden") if n.endswith(".json"))

    def scheduler_of(spec):
        # JSON has no infinities: the goldens record DPMSolverMultistepScheduler's lambda_min_clipped as "-inf"
        config = {k: float(v) if v in ("-inf", "inf") else v for k, v in spec["config"].items()}
        return getattr(diffusers, spec["class"]).from_config(config)

    from diffusers.models.autoencoders.vae import DiagonalGaussianDistribution
    from diffusers.pipelines.stable_diffusion_xl import pipeline_stable_diffusion_xl as t2i_module
    from diffusers.pipelines.stable_diffusion_xl import pipeline_stable_diffusion_xl_img2img as i2i_module

    # What the goldens record besides the latents is taken from inside the pipeline call: the noise each
    # pipeline module draws (randn_tensor), the VAE posterior, the UNet's conditioning inputs at the first step,
    # the noise prediction handed to each scheduler step, the preprocessed image and prepare_latents' result.
    seen = {}
    originals = {m: m.randn_tensor for m in (t2i_module, i2i_module)}
    for module, original in originals.items():
        def drawing(*a, _original=original, **k):
            x = _original(*a, **k)
            seen.setdefault("noise", []).append(x.clone())
            return x
        module.randn_tensor = drawing
    plain_sample = DiagonalGaussianDistribution.sample

    def posterior_sample(self, generator=None):
        x = plain_sample(self, generator)
        seen["vae_posterior_mean"], seen["vae_posterior_sample"] = self.mean.clone(), x.clone()
        return x
    DiagonalGaussianDistribution.sample = posterior_sample

    def instrument(pipe):
        def unet_inputs(module, args, kwargs):
            if "prompt_embeds" not in seen:
                seen["prompt_embeds"] = kwargs["encoder_hidden_states"].clone()
                seen["add_text_embeds"] = kwargs["added_cond_kwargs"]["text_embeds"].clone()
                seen["add_time_ids"] = kwargs["added_cond_kwargs"]["time_ids"].clone()
        pipe.unet.register_forward_pre_hook(unet_inputs, with_kwargs=True)
        plain_prepare = pipe.prepare_latents

        def prepare_latents(*a, **k):
            seen["init_latents"] = plain_prepare(*a, **k).clone()
            return seen["init_latents"]
        pipe.prepare_latents = prepare_latents
        plain_preprocess = pipe.image_processor.preprocess

        def preprocess(*a, **k):
            seen["preprocessed_image"] = plain_preprocess(*a, **k).clone()
            return seen["preprocessed_image"]
        pipe.image_processor.preprocess = preprocess
    instrument(base)
    instrument(refiner)

    def call(pipe, spec, seed, **kw):
        """One pipeline call to latents; returns what the golden records for it (unprefixed names)."""
        pipe.scheduler = scheduler_of(spec)
        plain_step = pipe.scheduler.step
        seen.clear()

        # functools.wraps keeps step's signature: the pipeline hands `generator` (and `eta`) only to a step
        # whose signature takes them (prepare_extra_step_kwargs), which Euler ancestral needs
        @functools.wraps(plain_step)
        def step(model_output, *a, **k):
            seen.setdefault("step_noise_pred", []).append(model_output.clone())
            return plain_step(model_output, *a, **k)
        pipe.scheduler.step = step

        def on_step(p, i, t, k):
            seen.setdefault("step_latents", []).append(k["latents"].detach().clone())
            return k

        with torch.no_grad():
            latents = pipe(generator=torch.Generator("cpu").manual_seed(seed), output_type="latent",
                           callback_on_step_end=on_step, **kw).images
        got = {k: seen[k] for k in ("prompt_embeds", "add_text_embeds", "add_time_ids", "init_latents")}
        got["final_latents"] = latents
        got["step_latents"], got["step_noise_pred"] = torch.stack(seen["step_latents"]), torch.stack(seen["step_noise_pred"])
        noise = seen.get("noise", [])
        if "image" not in kw:
            got["initial_noise"] = noise[0]
        else:
            got["preprocessed_image"] = seen["preprocessed_image"]
            if "vae_posterior_sample" in seen:
                got["vae_posterior_mean"], got["vae_posterior_sample"] = seen["vae_posterior_mean"], seen["vae_posterior_sample"]
                got["image_latents"] = pipe.vae.config.scaling_factor * seen["vae_posterior_sample"]
            else:  # latents handed over (ensemble): prepare_latents takes them as they are
                got["image_latents"] = seen["preprocessed_image"]
            if noise:
                got["add_noise"] = noise[-1]
        return got

    for name in names:
        spec = json.load(open(f"{FIX}pipeline_golden/{name}.json"))
        i = spec["inputs"]
        golden = load_file(f"{FIX}pipeline_golden/{name}.safetensors")
        common = {k: i[k] for k in ("prompt", "prompt_2", "negative_prompt", "negative_prompt_2") if k in i}
        common.update(num_inference_steps=i["steps"], guidance_scale=i["guidance_scale"],
                      num_images_per_prompt=i["num_images_per_prompt"])
        got = {}
        if i["kind"] == "txt2img":
            extra = {k: tuple(i[k]) for k in ("original_size", "crops_coords_top_left", "negative_original_size",
                                             "negative_target_size") if k in i}
            got = call(base, i["scheduler"], i["seed"], height=i["height"], width=i["width"], **common, **extra)
            pipe, last = base, ""
        elif i["kind"] == "ensemble":
            first = call(base, i["scheduler"], i["seed"], height=i["height"], width=i["width"],
                         denoising_end=i["split"], **common)
            second = call(refiner, i.get("refiner_scheduler", i["scheduler"]), i["refiner_seed"],
                          image=first["final_latents"], denoising_start=i["split"], **common)
            got = {**{"base." + k: v for k, v in first.items()}, **{"refiner." + k: v for k, v in second.items()}}
            pipe, last = refiner, "refiner."
        else:  # sdedit: the refiner alone on the input PNG
            init = Image.open(f"{FIX}pipeline_golden/{name}_input.png").convert("RGB")
            got = call(refiner, i["scheduler"], i["seed"], image=init, strength=i["strength"], **common)
            pipe, last = refiner, ""
        with torch.no_grad():
            got[last + "image"] = pipe.vae.decode(got[last + "final_latents"] / pipe.vae.config.scaling_factor,
                                                  return_dict=False)[0]
        save_file({k: v.contiguous().clone() for k, v in got.items()}, f"{out}/pipeline_golden/{name}.safetensors")
        compare_file(f"pipeline_golden/{name}.safetensors", got, golden)
        # The decode alone: the committed final latents through the reference VAE against the committed image
        # (separates the decoder's own difference from the latents' difference it amplifies).
        with torch.no_grad():
            own = pipe.vae.decode(golden[last + "final_latents"] / pipe.vae.config.scaling_factor, return_dict=False)[0]
        report(f"pipeline_golden/{name}.safetensors", last + "image decoded from the committed final_latents",
               maxdiff(own, golden[last + "image"]), TOL["image"], golden[last + "image"].abs().max().item())
        pngs = pipe.image_processor.postprocess(got[last + "image"], output_type="pil")
        for png, im in zip(spec["derived"]["png"], pngs):
            im.save(f"{out}/pipeline_golden/{png}")
            want = np.array(Image.open(f"{FIX}pipeline_golden/{png}").convert("RGB")).astype(int)
            report(f"pipeline_golden/{png}", "8-bit levels", np.abs(np.array(im).astype(int) - want).max(),
                   TOL["png_levels"], 255, "1 level")


# ---------------------------------------------------------------- scheduler_golden
def scheduler_goldens(out):
    from diffusers import (DDIMScheduler, DPMSolverMultistepScheduler, EulerAncestralDiscreteScheduler,
                           EulerDiscreteScheduler)
    g = json.load(open(FIX + "scheduler_golden.json"))
    classes = {"ddim": (DDIMScheduler, {}), "euler": (EulerDiscreteScheduler, {}),
               "euler_a": (EulerAncestralDiscreteScheduler, {}), "dpmpp_2m": (DPMSolverMultistepScheduler, {}),
               "dpmpp_2m_karras": (DPMSolverMultistepScheduler, {"use_karras_sigmas": True})}
    config = g["scheduler_config"]
    mine = {"schedules": {}, "step_goldens": {}}
    rel = lambda a, b: maxdiff(a, b) / max(1e-30, float(np.abs(np.asarray(b, dtype=float)).max()) if len(b) else 1.0)
    worst = {"timesteps": 0.0, "sigmas": 0.0, "init_noise_sigma": 0.0, "img2img": 0.0, "split": 0.0, "ddim": 0.0}
    for kind, (cls, over) in classes.items():
        mine["schedules"][kind] = {}
        for n, want in g["schedules"][kind].items():
            s = cls.from_config(config, **over)
            s.set_timesteps(int(n))
            got = {"timesteps": [float(t) for t in s.timesteps], "init_noise_sigma": float(s.init_noise_sigma)}
            if hasattr(s, "sigmas") and "sigmas" in want:
                got["sigmas"] = [float(x) for x in s.sigmas]
                worst["sigmas"] = max(worst["sigmas"], rel(got["sigmas"], want["sigmas"]))
            worst["timesteps"] = max(worst["timesteps"], maxdiff(got["timesteps"], want["timesteps"]))
            worst["init_noise_sigma"] = max(worst["init_noise_sigma"],
                                            abs(got["init_noise_sigma"] - want["init_noise_sigma"]) / want["init_noise_sigma"])
            if kind == "ddim":
                ts = s.timesteps
                ratio = s.config.num_train_timesteps // s.num_inference_steps
                prev = ts - ratio
                a = s.alphas_cumprod
                got["alpha_prod_t"] = [float(a[t]) for t in ts]
                got["alpha_prod_t_prev"] = [float(a[p]) if p >= 0 else float(s.final_alpha_cumprod) for p in prev]
                for k in ("alpha_prod_t", "alpha_prod_t_prev"):
                    worst["ddim"] = max(worst["ddim"], maxdiff(got[k], want[k]))
            got["img2img"] = {}
            for strength, w in want.get("img2img", {}).items():
                init = min(int(int(n) * float(strength)), int(n))
                t = s.timesteps[int(n) - init:]
                got["img2img"][strength] = {"timesteps": [float(x) for x in t], "num_inference_steps": len(t)}
                worst["img2img"] = max(worst["img2img"], maxdiff(got["img2img"][strength]["timesteps"], w["timesteps"]))
            if "split_0.8" in want:
                cutoff = int(round(s.config.num_train_timesteps - 0.8 * s.config.num_train_timesteps))
                base_t = [float(t) for t in s.timesteps if t >= cutoff]
                num = int((s.timesteps < cutoff).sum())
                ref_t = [float(t) for t in s.timesteps[-num:]] if num else [float(t) for t in s.timesteps]
                worst["split"] = max(worst["split"],
                                     maxdiff(base_t, want["split_0.8"]["base_denoising_end"]["timesteps"]),
                                     maxdiff(ref_t, want["split_0.8"]["refiner_denoising_start"]["timesteps"]))
            mine["schedules"][kind][n] = got
    report("scheduler_golden.json", "timesteps", worst["timesteps"], 0.0)
    report("scheduler_golden.json", "sigmas (relative)", worst["sigmas"], TOL["schedule_rel"], 1.0)
    report("scheduler_golden.json", "init_noise_sigma (relative)", worst["init_noise_sigma"], TOL["schedule_rel"], 1.0)
    report("scheduler_golden.json", "DDIM alpha_prod_t(_prev)", worst["ddim"], TOL["schedule_rel"], 1.0)
    report("scheduler_golden.json", "img2img timesteps", worst["img2img"], 0.0)
    report("scheduler_golden.json", "split 0.8 timesteps", worst["split"], 0.0)

    # step goldens: the recipe of step_golden_doc
    worst_step = 0.0
    for kind, (cls, over) in classes.items():
        s = cls.from_config(config, **over)
        s.set_timesteps(10)
        shape = [1, 4, 4, 3]
        x = torch.randn(shape, generator=torch.Generator("cpu").manual_seed(31)) * s.init_noise_sigma
        outs, G = torch.Generator("cpu").manual_seed(32), torch.Generator("cpu").manual_seed(33)
        steps = []
        for t in s.timesteps:
            mo = torch.randn(shape, generator=outs)
            smi = s.scale_model_input(x, t)
            r = s.step(mo, t, x, generator=G, **({"eta": 0.0} if kind == "ddim" else {}))
            steps.append({"scaled_model_input": smi.flatten().tolist(), "prev_sample": r.prev_sample.flatten().tolist()})
            x = r.prev_sample
        mine["step_goldens"][kind] = steps
        for got, want in zip(steps, g["step_goldens"][kind]["steps"]):
            for k in ("scaled_model_input", "prev_sample"):
                scale = max(1.0, float(np.abs(np.asarray(want[k])).max()))
                worst_step = max(worst_step, maxdiff(got[k], want[k]) / scale)
    report("scheduler_golden.json", "step goldens (relative to max(1, peak))", worst_step, 1e-6, 1.0)
    with open(out + "/scheduler_golden.json", "w") as f:
        json.dump(mine, f)


# ---------------------------------------------------------------- model_golden
def module_outputs(model, names, prefix, into):
    """Forward hooks recording the output (first element of a tuple) of each named submodule as prefix + name."""
    handles = []
    for name, module in model.named_modules():
        if name in names:
            def hook(m, args, output, _key=prefix + name):
                into[_key] = (output[0] if isinstance(output, tuple) else output).clone()
            handles.append(module.register_forward_hook(hook))
    return handles


def model_goldens(out):
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from diffusers.models.embeddings import get_timestep_embedding
    g = load_file(FIX + "model_golden.safetensors")
    got = {}
    got["temb.sin32.out"] = get_timestep_embedding(g["temb.sin32.t"], 32, flip_sin_to_cos=True, downscale_freq_shift=0)
    got["temb.sin16.out"] = get_timestep_embedding(g["temb.sin16.t"], 16, flip_sin_to_cos=True, downscale_freq_shift=0)
    for which, folder in (("base", "tiny-sdxl"), ("refiner", "tiny-sdxl-refiner")):
        unet = UNet2DConditionModel.from_pretrained(resolved_copy(FIX + folder) + "/unet",
                                                    torch_dtype=torch.float32)
        p = f"unet_{which}.in."
        act = f"unet_{which}.act."
        names = {k[len(act):] for k in g if k.startswith(act)} - {"emb", "silu_emb"}
        handles = module_outputs(unet, names, act, got)
        with torch.no_grad():
            got[f"unet_{which}.out"] = unet(g[p + "sample"], g[p + "timesteps"], encoder_hidden_states=g[p + "encoder_hidden_states"],
                                            added_cond_kwargs={"text_embeds": g[p + "text_embeds"],
                                                               "time_ids": g[p + "time_ids"]}).sample
            for h in handles:
                h.remove()
            # emb as UNet2DConditionModel.forward builds it (time_embedding + add_embedding), and its SiLU
            def embedding(timesteps, pooled, time_ids):
                parts = {"t_sinusoid": unet.time_proj(timesteps)}
                parts["time_embedding"] = unet.time_embedding(parts["t_sinusoid"])
                parts["time_ids_fourier"] = unet.add_time_proj(time_ids.flatten()).reshape(time_ids.shape[0], -1)
                parts["add_embeds"] = torch.cat([pooled, parts["time_ids_fourier"]], -1)
                parts["aug_emb"] = unet.add_embedding(parts["add_embeds"])
                parts["emb"] = parts["time_embedding"] + parts["aug_emb"]
                return parts
            t = g[p + "timesteps"].expand(g[p + "sample"].shape[0])
            got[act + "emb"] = embedding(t, g[p + "text_embeds"], g[p + "time_ids"])["emb"]
            got[act + "silu_emb"] = torch.nn.functional.silu(got[act + "emb"])
            e = f"emb.{which}."
            for k, v in embedding(g[e + "timesteps"], g[e + "pooled"], g[e + "time_ids"]).items():
                got[e + k] = v
    vae = AutoencoderKL.from_pretrained(resolved_copy(FIX + "tiny-sdxl") + "/vae", torch_dtype=torch.float32)
    for part in ("dec", "enc"):
        act = f"vae.{part}.act."
        module_outputs(vae, {k[len(act):] for k in g if k.startswith(act)}, act, got)
    with torch.no_grad():
        got["vae.dec.z"] = g["vae.dec.latent"] / vae.config.scaling_factor
        got["vae.dec.image"] = vae.decode(got["vae.dec.z"], return_dict=False)[0]
        post = vae.encode(g["vae.enc.image"]).latent_dist
        got["vae.enc.mean"], got["vae.enc.logvar"], got["vae.enc.std"] = post.mean, post.logvar, post.std
        # the noise of latent_dist.sample(generator): torch.randn with the seed the golden's doc names
        got["vae.enc.sample_noise"] = torch.randn([1, 4, 12, 8], generator=torch.Generator("cpu").manual_seed(4253))
        got["vae.enc.sample"] = post.mean + post.std * got["vae.enc.sample_noise"]
        got["vae.enc.sample_scaled"] = got["vae.enc.sample"] * vae.config.scaling_factor
    compare_file("model_golden.safetensors", got, g)
    save_file({k: v.contiguous().clone() for k, v in got.items()}, out + "/model_golden.safetensors")


# ---------------------------------------------------------------- text_golden + tokenizer
def text_goldens(out):
    from diffusers import StableDiffusionXLPipeline
    j = json.load(open(FIX + "text_golden.json"))
    g = load_file(FIX + "text_golden.safetensors")
    pipe = load_pipeline(StableDiffusionXLPipeline, FIX + "tiny-sdxl")
    got = {}
    with torch.no_grad():
        first = j["prompts"][0]["name"]
        for p in j["prompts"]:
            n = p["name"]
            for enc, model in (("enc1", pipe.text_encoder), ("enc2", pipe.text_encoder_2)):
                if f"{n}.{enc}.input_ids" not in g:
                    continue
                # open_clip's tokenizer, as the golden was computed (text_golden.json "computed_with"); diffusers'
                # CLIPTokenizer for tokenizer_2 differs where a prompt holds "!", its pad token (a special token
                # there, so "!!!" becomes three pads instead of BPE merges).
                ids = torch.tensor([open_clip_input_ids(p["prompt"], pad=49407 if enc == "enc1" else 0)])
                got[f"{n}.{enc}.input_ids"], got[f"{n}.{enc}.eos_index"] = ids, ids.argmax(-1)
                o = model(ids, output_hidden_states=True)
                got[f"{n}.{enc}.penultimate"] = o.hidden_states[-2]
                got[f"{n}.{enc}.last_hidden"] = o.last_hidden_state
                if n == first:
                    got[f"{n}.{enc}.hidden_states"] = torch.stack(o.hidden_states)
                if enc == "enc2":
                    got[f"{n}.{enc}.pooled"] = o.text_embeds
            if f"{n}.enc2.penultimate" in got:
                got[f"{n}.base.context"] = torch.cat([got[f"{n}.enc1.penultimate"], got[f"{n}.enc2.penultimate"]], -1)
                got[f"{n}.refiner.context"] = got[f"{n}.enc2.penultimate"]
                got[f"{n}.base.pooled"] = got[f"{n}.refiner.pooled"] = got[f"{n}.enc2.pooled"]
        from diffusers import StableDiffusionXLImg2ImgPipeline
        refiner = load_pipeline(StableDiffusionXLImg2ImgPipeline, FIX + "tiny-sdxl-refiner",
                                text_encoder_2=pipe.text_encoder_2, tokenizer_2=pipe.tokenizer_2)
        for c, spec in j["cases"].items():
            kw = dict(spec["kwargs"])
            target = refiner if kw.pop("refiner", False) else pipe
            # a model_index setting, not an argument: the pipeline reads it from its config
            target.register_to_config(force_zeros_for_empty_prompt=kw.pop("force_zeros_for_empty_prompt", True))
            ctx, neg, pooled, neg_pooled = target.encode_prompt(device="cpu", num_images_per_prompt=1,
                                                                do_classifier_free_guidance=True, **kw)
            got[f"case.{c}.context"], got[f"case.{c}.pooled"] = ctx, pooled
            got[f"case.{c}.negative_context"], got[f"case.{c}.negative_pooled"] = neg, neg_pooled
    compare_file("text_golden.safetensors", got, g)
    save_file({k: v.contiguous().clone() for k, v in got.items()}, out + "/text_golden.safetensors")


@functools.lru_cache(maxsize=None)
def open_clip_tokenizer():
    from open_clip.tokenizer import SimpleTokenizer
    return SimpleTokenizer()


def open_clip_input_ids(prompt, pad):
    """77 ids as both SDXL encoders take them: start, the first 75 BPE ids of open_clip's SimpleTokenizer, end,
    then `pad` (49407 for CLIP-L, 0 for OpenCLIP-bigG)."""
    ids = open_clip_tokenizer().encode(prompt)
    return ([49406] + ids[:75] + [49407] + [pad] * 77)[:77]


def tokenizer_goldens(out):
    j = json.load(open(FIX + "tokenizer/tokenizer_golden.json"))
    # The fixture's vocab.json/merges.txt are CLIP's BPE; open_clip reads its own copy of the same merges.
    tok = open_clip_tokenizer()
    bad, mine = 0, []
    for p in j["prompts"]:
        ids = tok.encode(p["prompt"])
        enc1, enc2 = open_clip_input_ids(p["prompt"], 49407), open_clip_input_ids(p["prompt"], 0)
        mine.append({"name": p["name"], "ids": ids, "enc1_input_ids": enc1, "enc2_input_ids": enc2})
        if ids != p["ids"] or enc1 != p["enc1_input_ids"] or enc2 != p["enc2_input_ids"]:
            bad += 1
            print(f"     tokenizer differs on {p['name']!r}")
    report("tokenizer/tokenizer_golden.json", f"ids of {len(j['prompts'])} prompts (prompts that differ)", bad, 0)
    with open(out + "/tokenizer_golden.json", "w") as f:
        json.dump(mine, f)


# ---------------------------------------------------------------- aspect_buckets
def aspect_buckets(out, sampling_py):
    """aspect_buckets.json against the file it cites (Stability-AI/generative-models scripts/demo/sampling.py at
    the recorded commit; that repository is no package, so its file is given by path): SD_XL_BASE_RATIOS as
    key -> (width, height) (the demo unpacks `W, H = st.selectbox(..., list(SD_XL_BASE_RATIOS.values()), 10)`)."""
    import ast
    g = json.load(open(FIX + "aspect_buckets.json"))
    tree = ast.parse(open(sampling_py).read())
    ratios = default = None
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "SD_XL_BASE_RATIOS" for t in node.targets):
            ratios = ast.literal_eval(node.value)
        if (isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "selectbox" and len(node.args) == 3
                and "SD_XL_BASE_RATIOS" in ast.unparse(node.args[1])):
            default = ast.literal_eval(node.args[2])
    mine = {"source": g["source"], "default_index": default, "buckets": [
        {"key": k, "width": w, "height": h, "aspect_w_over_h": w / h, "latent_h": h // 8, "latent_w": w // 8}
        for k, (w, h) in ratios.items()]}
    with open(out + "/aspect_buckets.json", "w") as f:
        json.dump(mine, f, indent=1)
    differ = sum(a != b for a, b in zip(mine["buckets"], g["buckets"])) + abs(len(mine["buckets"]) - len(g["buckets"]))
    report("aspect_buckets.json", f"{len(ratios)} buckets (entries that differ from the cited file)", differ, 0)
    report("aspect_buckets.json", "default index (differs from the demo's selectbox default)",
           int(default != g["default_index"]), 0)


def print_tables():
    """Markdown: one row per file, then one per quantity group (a golden's tensor name without its prompt/case)."""
    files = {}
    for r in ROWS:
        files.setdefault(r["file"], []).append(r)
    print("\n| file | quantities compared | inputs read | max abs diff | max rel. diff (to peak) | worst diff / tolerance | verdict |")
    print("|---|---|---|---|---|---|---|")
    for f, rows in files.items():
        compared = [r for r in rows if r["tol_text"] != "-"]
        ratios = [(r["abs"] / r["tol"] if r["tol"] else (0.0 if r["abs"] == 0 else float("inf")), r["what"])
                  for r in compared]
        ratio, ratio_what = max(ratios)
        worst = max(compared, key=lambda r: r["abs"])
        rel = max((r["abs"] / r["peak"] if r["peak"] else 0.0) for r in compared)
        print(f"| {f} | {len(compared)} | {len(rows) - len(compared)} | {worst['abs']:.3g} ({worst['what']}) | "
              f"{rel:.3g} | {ratio:.3g} ({ratio_what}) | {'within' if all(r['ok'] for r in rows) else '**BEYOND**'} |")
    print("\n| file | quantity | n | max abs diff | max rel. diff | tolerance | verdict |")
    print("|---|---|---|---|---|---|---|")
    for f, rows in files.items():
        groups = {}
        for r in rows:
            what = r["what"]
            if f.startswith("text_golden"):
                what = "case." + what.split(".")[-1] if what.startswith("case.") else "<prompt>." + ".".join(what.split(".")[1:])
            elif f.startswith("model_golden"):
                what = ".".join(what.split(".")[:3 if ".act." in what else 2]) + (" (input)" if "(input" in what else "")
            groups.setdefault(what, []).append(r)
        for what, rs in groups.items():
            if rs[0]["tol_text"] == "-":
                continue
            rel = max((r["abs"] / r["peak"] if r["peak"] else 0.0) for r in rs)
            print(f"| {f} | {what} | {len(rs)} | {max(r['abs'] for r in rs):.3g} | {rel:.3g} | {rs[0]['tol_text']} | "
                  f"{'within' if all(r['ok'] for r in rs) else '**BEYOND**'} |")
    inputs = sorted({r["what"] for r in ROWS if r["tol_text"] == "-"})
    if inputs:
        print("\nRead as inputs (the goldens' recorded random draws and arguments, not derived): " + ", ".join(inputs))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=None)
    ap.add_argument("--only", default="tokenizer,scheduler,model,text,pipeline,buckets")
    ap.add_argument("--sampling-py", default=None,
                    help="Stability-AI/generative-models scripts/demo/sampling.py at the commit aspect_buckets.json "
                         "cites (needed for the buckets part)")
    a = ap.parse_args()
    out = a.out or tempfile.mkdtemp(prefix="seed_goldens_")
    os.makedirs(out, exist_ok=True)
    parts = a.only.split(",")
    if "tokenizer" in parts:
        tokenizer_goldens(out)
    if "scheduler" in parts:
        scheduler_goldens(out)
    if "model" in parts:
        model_goldens(out)
    if "text" in parts:
        text_goldens(out)
    if "pipeline" in parts:
        pipeline_goldens(out)
    if "buckets" in parts:
        if not a.sampling_py:
            sys.exit("the buckets part needs --sampling-py (or leave it out of --only)")
        aspect_buckets(out, a.sampling_py)
    print_tables()
    beyond = [f"{r['file']} {r['what']}" for r in ROWS if not r["ok"]]
    print(f"\nre-derived files in {out}; {len(beyond)} beyond tolerance" + (": " + ", ".join(beyond) if beyond else ""))
    sys.exit(1 if beyond else 0)


if __name__ == "__main__":
    main()
