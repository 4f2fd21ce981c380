// Previews of the current denoised estimate x0 while sampling (--preview): cheap enough to run every step.
//  - latent_rgb_preview: the SDXL latent-to-RGB linear approximation, a 4x3 matrix and a bias applied per latent
//    pixel (image at 1/8 of the size). Factors from ComfyUI, comfy/latent_formats.py, class SDXL
//    (latent_rgb_factors / latent_rgb_factors_bias), fitted there by least squares against SDXL VAE decodes;
//    they act on the UNet's latents (VAE latents times 0.13025), as ComfyUI's Latent2RGBPreviewer does.
//  - with a tiny autoencoder (--preview-vae or a tiny --vae): its full-size decode.
#pragma once
#include <ATen/ATen.h>

namespace sdxl {

// Pipeline-space latents [B,4,h,w] (any dtype/device) -> uint8 [B,h,w,3] on the CPU, RGB in [-1,1] mapped
// to [0,255] as ComfyUI's previewer maps it (scaled and truncated).
at::Tensor latent_rgb_preview(const at::Tensor& latents);

}  // namespace sdxl
