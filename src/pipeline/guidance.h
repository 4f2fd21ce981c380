// Classifier-free guidance (Ho & Salimans 2022) as the SDXL reference applies it, with optional
// guidance rescale (Lin et al. 2023, "Common Diffusion Noise Schedules and Sample Steps are Flawed", sec. 3.4).
#pragma once
#include <ATen/ATen.h>

namespace sdxl {

// The UNet ran on [negative rows; positive rows]: eps = eps_neg + cfg * (eps_pos - eps_neg).
at::Tensor apply_cfg(const at::Tensor& eps_batch, double cfg);

// Rescales guided eps towards the std of the positive prediction (per sample, over C,H,W):
// eps = phi * eps * std(eps_pos)/std(eps) + (1 - phi) * eps  (diffusers rescale_noise_cfg).
at::Tensor rescale_cfg(const at::Tensor& guided, const at::Tensor& eps_pos, double phi);

}  // namespace sdxl
