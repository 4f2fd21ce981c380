"""Regenerates diffusers_variants.json: reference schedules and sampler runs for options the fixture goldens
do not cover (trailing / linspace spacing, Karras for Euler, v-prediction, DDIM clip_sample, img2img with
add_noise and a DPM++ history that restarts mid-schedule).

Needs diffusers==0.27.2, torch and numpy (not part of the build). The reference is fed the fixture's
alphas_cumprod (tests/fixtures/scheduler_golden.json) so that it sees the same training schedule as sdxl-gen.
Run from the repository root:  python tests/sampling/data/make_diffusers_variants.py
"""
import json
import logging

import torch
from diffusers import (DDIMScheduler, DPMSolverMultistepScheduler, EulerAncestralDiscreteScheduler,
                       EulerDiscreteScheduler)

logging.disable(logging.WARNING)
golden = json.load(open("tests/fixtures/scheduler_golden.json"))
config = golden["scheduler_config"]
alphas_cumprod = torch.tensor(golden["train_schedule"]["alphas_cumprod"])
classes = {"ddim": DDIMScheduler, "euler": EulerDiscreteScheduler, "euler_a": EulerAncestralDiscreteScheduler,
           "dpmpp_2m": DPMSolverMultistepScheduler}
SHAPE = [1, 4, 3, 2]


def scheduler(kind, overrides, steps):
    s = classes[kind].from_config(config, **overrides)
    s.alphas_cumprod = alphas_cumprod.clone()
    if kind == "ddim":
        s.final_alpha_cumprod = alphas_cumprod[0]
    s.set_timesteps(steps)
    return s


def flat(t):
    return [float(v) for v in t.flatten()]


schedules = []
for kind in classes:
    for overrides in ({"timestep_spacing": "trailing"}, {"timestep_spacing": "linspace"},
                      {"use_karras_sigmas": True}):
        if "use_karras_sigmas" in overrides and kind in ("ddim", "euler_a"):
            continue  # not offered by these classes in v0.27.2
        for steps in (1, 2, 3, 7, 10, 25, 50):
            s = scheduler(kind, overrides, steps)
            entry = {"sampler": kind, "overrides": overrides, "steps": steps, "timesteps": flat(s.timesteps)}
            if kind != "ddim":
                entry["sigmas"] = flat(s.sigmas)
                entry["init_noise_sigma"] = float(s.init_noise_sigma)
            schedules.append(entry)

# Sampler runs: x = randn(seed 4) * init_noise_sigma (img2img: add_noise(randn(seed 4), first draw of G, t0));
# model outputs = successive randn from seed 5; step noise G seeded 6.
runs = []
for kind, overrides, steps, strength in [
        *[(k, {"prediction_type": "v_prediction"}, 7, None) for k in classes],
        *[(k, {"timestep_spacing": "trailing"}, 6, None) for k in classes],
        *[(k, {}, 10, 0.55) for k in classes],
        ("euler", {"use_karras_sigmas": True}, 12, 0.5), ("dpmpp_2m", {"use_karras_sigmas": True}, 12, 0.5),
        ("ddim", {"clip_sample": True}, 5, None), ("euler_a", {"timestep_spacing": "linspace"}, 5, None)]:
    s = scheduler(kind, overrides, steps)
    timesteps = s.timesteps
    model_outputs, G = torch.Generator().manual_seed(5), torch.Generator().manual_seed(6)
    x = torch.randn(SHAPE, generator=torch.Generator().manual_seed(4))
    if strength is not None:
        keep = min(int(steps * strength), steps)
        timesteps = timesteps[steps - keep:]
        x = s.add_noise(x, torch.randn(SHAPE, generator=G), timesteps[:1])
    else:
        x = x * s.init_noise_sigma
    run = {"sampler": kind, "overrides": overrides, "steps": steps, "strength": strength, "shape": SHAPE,
           "initial_sample": flat(x), "scaled_model_input": [], "prev_sample": []}
    for t in timesteps:
        out = torch.randn(SHAPE, generator=model_outputs)
        run["scaled_model_input"].append(flat(s.scale_model_input(x, t)))
        x = s.step(out, t, x, generator=G, **({"eta": 0.0} if kind == "ddim" else {})).prev_sample
        run["prev_sample"].append(flat(x))
    runs.append(run)

doc = ("diffusers v0.27.2 (torch 2.11, CPU, float32) fed the fixture alphas_cumprod; regenerate with "
       "make_diffusers_variants.py. Values are float32 written as JSON doubles.")
with open("tests/sampling/data/diffusers_variants.json", "w") as f:
    json.dump({"_doc": doc, "schedules": schedules, "runs": runs}, f, separators=(",", ":"))
print(len(schedules), "schedules,", len(runs), "runs")
