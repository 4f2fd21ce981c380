"""Reference for the tiled VAE decode (issue 29): diffusers v0.27.2 AutoencoderKL.tiled_decode -- what
`enable_tiling()` runs -- on the tiny fixture VAE, float32 CPU. Writes tests/vae/data/vae_tiling_golden.safetensors:
  latent      [1,4,16,24] pipeline-space latent (torch.randn, seed 11)
  plain       vae.decode(latent / scaling_factor) (no tiling)
  tiled_<T>   tiled_decode with tile_latent_min_size T, tile_sample_min_size 8T and diffusers' default
              tile_overlap_factor 0.25 (latent stride int(0.75 T), blend over 0.25 * 8T pixels), T = 8 and 16.
sdxl-gen's decode_tiled(T, T/4) differs on purpose (vae/tiled_decode.h: the last tile moves back to end at the
border instead of diffusers' partial tail tiles, and weights ramp across the whole overlap, normalised); the test
states how far apart the two are and that sdxl-gen's tiling is no further from the plain decode than diffusers'.

Run from the repository root with the pinned reference environment (scripts/reference_env.sh):
    .venv-ref/bin/python tests/vae/data/make_vae_tiling_golden.py
"""
import os
import sys

import torch
from diffusers import AutoencoderKL
from safetensors.torch import save_file

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "scripts"))
from reference_fixtures import resolved_copy  # noqa: E402  (the shared preamble: fixture links resolved)


def main():
    vae = AutoencoderKL.from_pretrained(resolved_copy("tests/fixtures/tiny-sdxl/vae"), torch_dtype=torch.float32)
    latent = torch.randn(1, 4, 16, 24, generator=torch.Generator("cpu").manual_seed(11))
    z = latent / vae.config.scaling_factor
    out = {"latent": latent}
    with torch.no_grad():
        out["plain"] = vae.decode(z, return_dict=False)[0]
        for t in (8, 16):
            vae.tile_latent_min_size, vae.tile_sample_min_size, vae.tile_overlap_factor = t, 8 * t, 0.25
            out[f"tiled_{t}"] = vae.tiled_decode(z, return_dict=False)[0]
    save_file({k: v.contiguous() for k, v in out.items()}, "tests/vae/data/vae_tiling_golden.safetensors")
    for t in (8, 16):
        d = (out[f"tiled_{t}"] - out["plain"]).abs()
        print(f"diffusers tiled {t} vs plain: max {d.max():.4f} mean {d.mean():.4f}")


if __name__ == "__main__":
    main()
