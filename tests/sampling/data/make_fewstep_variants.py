"""Regenerates fewstep_variants.json: reference sampler runs for the few-step and prediction-type options
(issue 14): LCMScheduler (1/2/4/8 steps, img2img, every prediction type), Euler / Euler ancestral with trailing
spacing at 1/2/4/8 steps, v-prediction with zero-terminal-SNR rescaling (Euler, Euler a, DDIM, DPM++ 2M) and the
`sample` (x0) prediction type (DDIM, Euler, DPM++ 2M).

Same protocol as make_diffusers_variants.py next to it: x = randn(seed 4) * init_noise_sigma (img2img:
add_noise(randn(seed 4), first draw of G, t0)); model outputs = successive randn from seed 5; step noise G seeded 6.
The reference gets the fixture's betas as `trained_betas` (tests/fixtures/scheduler_golden.json), so that the
zero-SNR rescaling starts from the same float32 values as sdxl-gen.

Run from the repository root with the pinned reference environment (scripts/reference_env.sh):
    .venv-ref/bin/python tests/sampling/data/make_fewstep_variants.py
"""
import json
import logging

from reference_runs import flat, sampler_run
from diffusers import (DDIMScheduler, DPMSolverMultistepScheduler, EulerAncestralDiscreteScheduler,
                       EulerDiscreteScheduler, LCMScheduler)

logging.disable(logging.WARNING)
golden = json.load(open("tests/fixtures/scheduler_golden.json"))
config = dict(golden["scheduler_config"], trained_betas=golden["train_schedule"]["betas"])
classes = {"ddim": DDIMScheduler, "euler": EulerDiscreteScheduler, "euler_a": EulerAncestralDiscreteScheduler,
           "dpmpp_2m": DPMSolverMultistepScheduler, "lcm": LCMScheduler}
SHAPE = [1, 4, 3, 2]
VZ = {"prediction_type": "v_prediction", "rescale_betas_zero_snr": True, "timestep_spacing": "trailing"}


cases = []
for steps in (1, 2, 4, 8):
    cases += [("lcm", {}, steps, None), ("euler", {"timestep_spacing": "trailing"}, steps, None),
              ("euler_a", {"timestep_spacing": "trailing"}, steps, None)]
cases += [("lcm", {"prediction_type": "v_prediction"}, 4, None), ("lcm", {"prediction_type": "sample"}, 4, None),
          ("lcm", {}, 6, 0.5), ("lcm", {"original_inference_steps": 20}, 3, None)]
cases += [(k, VZ, n, None) for k in ("euler", "euler_a", "ddim", "dpmpp_2m") for n in (4, 10)]
cases += [(k, {"prediction_type": "sample"}, 6, None) for k in ("ddim", "euler", "dpmpp_2m")]

runs = []
for kind, overrides, steps, strength in cases:
    s = classes[kind].from_config(config, **overrides)
    s.set_timesteps(steps)
    run = sampler_run(s, kind, overrides, steps, strength, SHAPE)
    run["timesteps"] = flat(s.timesteps)
    if hasattr(s, "sigmas"):
        run["sigmas"] = flat(s.sigmas)
    runs.append(run)

doc = ("diffusers v0.27.2 (torch 2.11, CPU, float32) fed the fixture betas as trained_betas; regenerate with "
       "make_fewstep_variants.py. Values are float32 written as JSON doubles.")
with open("tests/sampling/data/fewstep_variants.json", "w") as f:
    json.dump({"_doc": doc, "runs": runs}, f, separators=(",", ":"))
print(len(runs), "runs")
