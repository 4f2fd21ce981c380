"""Expected values the tests used to hand-type, computed here from the source each one cites (issue 29).
Writes tests/cited/cited_values.json. Run from the repository root with the pinned reference environment:
    .venv-ref/bin/python tests/cited/make_cited_values.py

  html_unescape     CPython's html.unescape on the inputs of test_tokenizer.cpp HtmlUnescapeMatchesPython
  lower             CPython's str.lower on the inputs of LowercaseMatchesPython
  pillow_luminance  Pillow's Image.convert("L") of single RGB pixels (test_inpaint.cpp)
  sgm_uniform       ComfyUI's "sgm_uniform" schedule: comfy/samplers.py normal_scheduler(sgm=True) at commit
                    75e5d3d604a08b18448e89ba8927782820fa2383 over ModelSamplingDiscrete (comfy/model_sampling.py:
                    betas = linspace(sqrt(0.00085), sqrt(0.012), 1000) ** 2 in float64, sigmas stored as float32,
                    timestep() = nearest log-sigma, sigma() = log-sigma interpolated), ported below
  latent_preview    ComfyUI's Latent2RGBPreviewer (latent_preview.py) with latent_formats.SDXL's factors and bias
                    (comfy/latent_formats.py at commit 040a3243468ecefd1f2802592d90458f1ce4d65f): x @ factors + bias,
                    ((v + 1) / 2).clamp(0, 1) * 255 converted to uint8 (truncation), for one-hot latents
"""
import html
import json
import sys

import numpy as np
import PIL
import torch
from PIL import Image

OUT = "tests/cited/cited_values.json"

HTML_INPUTS = ["&amp;amp;", "&#x1F600;", "&#128512", "&#0;", "&#x80;", "&#xD800;", "&#99999999999999999999;",
               "&#xFFFE;", "&notit;", "&notes", "&copy=2", "&AMP", "&amp", "&#;", "&#x;", "&#12abc", "&ampamp",
               "&Aacute", "&aacuteb", "a & b", "&lt&gt", "&NotNestedGreaterGreater;", "&#X41;", "&#x41x", "&;",
               "&&amp;", "&#13;", "&#65;&#66", "&nbsp;x", "&" + "a" * 40 + ";"]
LOWER_INPUTS = ["\u0391\u03a3 \u03a3\u0391 \u03a3 \u0391\u03a3. \u0391\u03a3'\u0391 \u0391\u03a3\u0345",
                "\u0130STANBUL", "\u1e9e \u212a \u216b \U00010400"]
PIXELS = [(0, 255, 0), (255, 0, 0), (128, 128, 128), (127, 127, 127)]

# comfy/latent_formats.py, class SDXL (rows: latent channels; columns R, G, B)
SDXL_RGB_FACTORS = [[0.3651, 0.4232, 0.4341], [-0.2533, -0.0042, 0.1068], [0.1076, 0.1111, -0.0362],
                    [-0.3165, -0.2492, -0.2188]]
SDXL_RGB_BIAS = [0.1084, -0.0175, -0.0011]


class ModelSamplingDiscrete:
    """comfy/model_sampling.py ModelSamplingDiscrete for the SDXL config (linear schedule 0.00085..0.012)."""

    def __init__(self):
        betas = torch.linspace(0.00085 ** 0.5, 0.012 ** 0.5, 1000, dtype=torch.float64) ** 2
        alphas_cumprod = np.cumprod(1.0 - betas.numpy(), axis=0)
        sigmas = torch.tensor(((1 - alphas_cumprod) / alphas_cumprod) ** 0.5)
        self.sigmas = sigmas.float()
        self.log_sigmas = sigmas.log().float()

    @property
    def sigma_min(self):
        return self.sigmas[0]

    @property
    def sigma_max(self):
        return self.sigmas[-1]

    def timestep(self, sigma):
        log_sigma = sigma.log()
        dists = log_sigma.to(self.log_sigmas.device) - self.log_sigmas[:, None]
        return dists.abs().argmin(dim=0).view(sigma.shape)

    def sigma(self, timestep):
        t = torch.clamp(timestep.float(), min=0, max=(len(self.sigmas) - 1))
        low_idx = t.floor().long()
        high_idx = t.ceil().long()
        w = t.frac()
        log_sigma = (1 - w) * self.log_sigmas[low_idx] + w * self.log_sigmas[high_idx]
        return log_sigma.exp()


def sgm_uniform(s, steps):
    start = s.timestep(s.sigma_max)
    end = s.timestep(s.sigma_min)
    timesteps = torch.linspace(start, end, steps + 1)[:-1]
    sigs = [float(s.sigma(ts)) for ts in timesteps]
    return [float(t) for t in timesteps], sigs + [0.0]


def preview(latent):
    factors = torch.tensor(SDXL_RGB_FACTORS).transpose(0, 1)
    bias = torch.tensor(SDXL_RGB_BIAS)
    image = torch.nn.functional.linear(latent[0].movedim(0, -1), factors, bias=bias)
    return ((image + 1.0) / 2.0).clamp(0, 1).mul(0xFF).to(torch.uint8)


def main():
    out = {"_doc": "made by tests/cited/make_cited_values.py (see its header for each source)",
           "python": sys.version.split()[0], "pillow": PIL.__version__, "torch": torch.__version__}
    out["html_unescape"] = [[s, html.unescape(s)] for s in HTML_INPUTS]
    out["lower"] = [[s, s.lower()] for s in LOWER_INPUTS]
    out["pillow_luminance"] = [[list(p), int(np.array(Image.new("RGB", (1, 1), p).convert("L"))[0, 0])] for p in PIXELS]
    ms = ModelSamplingDiscrete()
    out["sgm_uniform"] = {}
    for n in (1, 2, 4, 8):
        t, s = sgm_uniform(ms, n)
        out["sgm_uniform"][str(n)] = {"timesteps": t, "sigmas": s}
    latents = torch.zeros(1, 4, 1, 4)
    for k in range(4):
        latents[0, k, 0, k] = 1.0
    out["latent_preview"] = {"latents": "one-hot: channel k = 1 at column k", "rgb": preview(latents)[0].tolist()}
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1, ensure_ascii=True)
        f.write("\n")


if __name__ == "__main__":
    main()
