"""The sampler-run protocol shared by make_diffusers_variants.py and make_fewstep_variants.py (replayed by
tests/sampling/golden_json.h expect_run_matches): x = randn(seed 4) * init_noise_sigma (img2img: the last
int(steps * strength) timesteps, x = add_noise(randn(seed 4), first draw of G, t0)); model outputs = successive
randn from seed 5; step noise G seeded 6. `s` is a diffusers scheduler after set_timesteps(steps)."""
import torch


def flat(t):
    return [float(v) for v in t.flatten()]


def sampler_run(s, kind, overrides, steps, strength, shape):
    timesteps = s.timesteps
    model_outputs, G = torch.Generator().manual_seed(5), torch.Generator().manual_seed(6)
    x = torch.randn(shape, generator=torch.Generator().manual_seed(4))
    if strength is not None:
        keep = min(int(steps * strength), steps)
        timesteps = timesteps[steps - keep:]
        if hasattr(s, "set_begin_index"):
            s.set_begin_index(steps - keep)
        x = s.add_noise(x, torch.randn(shape, generator=G), timesteps[:1])
    else:
        x = x * s.init_noise_sigma
    run = {"sampler": kind, "overrides": overrides, "steps": steps, "strength": strength, "shape": shape,
           "initial_sample": flat(x), "scaled_model_input": [], "prev_sample": []}
    for t in timesteps:
        out = torch.randn(shape, generator=model_outputs)
        run["scaled_model_input"].append(flat(s.scale_model_input(x, t)))
        x = s.step(out, t, x, generator=G, **({"eta": 0.0} if kind == "ddim" else {})).prev_sample
        run["prev_sample"].append(flat(x))
    return run
