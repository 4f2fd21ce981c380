// The two-pass high-resolution fix of the web UIs: a first pass at the requested size, an upscale, and an
// img2img pass at the scaled size. Upscalers (request.h HiresUpscaler): the web UI's latent ones
// (F.interpolate of the latents: "Latent" is bilinear, the others name their mode) and "Lanczos" (Pillow's,
// on the decoded 8-bit image, then VAE-encoded like an img2img init image, so the pass equals running
// img2img on the upscaled PNG).
#pragma once
#include <ATen/ATen.h>

#include <array>
#include <optional>
#include <string>

#include "sdxl/request.h"

namespace sdxl {

// "Hires upscaler" as the web UI writes it in its parameters text, in enum order.
inline constexpr std::array<EnumName<HiresUpscaler>, 4> kHiresUpscalerWebUiNames{{
    {HiresUpscaler::Latent, "Latent"},
    {HiresUpscaler::LatentNearestExact, "Latent (nearest-exact)"},
    {HiresUpscaler::LatentBicubic, "Latent (bicubic)"},
    {HiresUpscaler::Lanczos, "Lanczos"}}};

// The second pass's size: each side * scale, rounded to the nearest multiple of 8 (at least 8).
Size hires_size(const Size& first, double scale);

// Latent upscalers: F.interpolate(latents, size=(H/8, W/8), mode, align_corners=False for bilinear/bicubic).
at::Tensor upscale_latents(const at::Tensor& latents, const Size& target, HiresUpscaler upscaler);

}  // namespace sdxl
