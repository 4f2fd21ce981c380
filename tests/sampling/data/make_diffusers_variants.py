"""Regenerates diffusers_variants.json: reference schedules and sampler runs for options the fixture goldens
do not cover (trailing / linspace spacing, Karras for Euler, v-prediction, DDIM clip_sample, img2img with
add_noise and a DPM++ history that restarts mid-schedule).

Needs diffusers==0.27.2, torch and numpy (not part of the build). The reference is fed the fixture's
alphas_cumprod (tests/fixtures/scheduler_golden.json) so that it sees the same training schedule as sdxl-gen.
Run from the repository root:  .venv-ref/bin/python tests/sampling/data/make_diffusers_variants.py
(The run loop lives in reference_runs.py, shared with make_fewstep_variants.py.)
"""
import json
import logging

import torch
from reference_runs import flat, sampler_run
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
    run = sampler_run(scheduler(kind, overrides, steps), kind, overrides, steps, strength, SHAPE)
    runs.append(run)

doc = ("diffusers v0.27.2 (torch 2.11, CPU, float32) fed the fixture alphas_cumprod; regenerate with "
       "make_diffusers_variants.py. Values are float32 written as JSON doubles.")
with open("tests/sampling/data/diffusers_variants.json", "w") as f:
    json.dump({"_doc": doc, "schedules": schedules, "runs": runs}, f, separators=(",", ":"))
print(len(schedules), "schedules,", len(runs), "runs")
