// The two-pass high-resolution fix of the web UIs: a first pass at the requested size, an upscale, and an
// img2img pass at the scaled size. Upscalers: the web UI's latent ones (F.interpolate of the latents:
// "Latent" is bilinear, the others name their mode) and "Lanczos" (Pillow's, on the decoded 8-bit image,
// then VAE-encoded like an img2img init image, so the pass equals running img2img on the upscaled PNG).
#pragma once
#include <ATen/ATen.h>

#include <array>
#include <string>

#include "sampling/sampler_kind.h"
#include "sdxl/request.h"

namespace sdxl {

enum class HiresUpscaler { Latent, LatentNearestExact, LatentBicubic, Lanczos };

struct HiresUpscalerName {
  HiresUpscaler value;
  const char* name;     // --hires-upscaler
  const char* webui;    // "Hires upscaler" in the web UI's parameters text
};
inline constexpr std::array<HiresUpscalerName, 4> kHiresUpscalers{{
    {HiresUpscaler::Latent, "latent", "Latent"},
    {HiresUpscaler::LatentNearestExact, "latent-nearest-exact", "Latent (nearest-exact)"},
    {HiresUpscaler::LatentBicubic, "latent-bicubic", "Latent (bicubic)"},
    {HiresUpscaler::Lanczos, "lanczos", "Lanczos"},
}};

HiresUpscaler parse_hires_upscaler(const std::string& text, const std::string& what = "hires_upscaler");
const HiresUpscalerName& hires_upscaler_name(HiresUpscaler u);

// The second pass's size: each side * scale, rounded to the nearest multiple of 8 (at least 8).
Size hires_size(const Size& first, double scale);

// Latent upscalers: F.interpolate(latents, size=(H/8, W/8), mode, align_corners=False for bilinear/bicubic).
at::Tensor upscale_latents(const at::Tensor& latents, const Size& target, HiresUpscaler upscaler);

}  // namespace sdxl
