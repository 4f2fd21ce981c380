#include "pipeline/hires.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"

namespace sdxl {

static_assert(table_complete(kHiresUpscalerWebUiNames, HiresUpscaler::Lanczos),
              "kHiresUpscalerWebUiNames must list every HiresUpscaler");

Size hires_size(const Size& first, double scale) {
  auto side = [scale](int s) { return std::max(8, static_cast<int>(std::lround(s * scale / 8.0)) * 8); };
  return Size{side(first.height), side(first.width)};
}

at::Tensor upscale_latents(const at::Tensor& latents, const Size& target, HiresUpscaler upscaler) {
  const std::vector<int64_t> size{target.height / 8, target.width / 8};
  switch (upscaler) {
    case HiresUpscaler::Latent: return at::upsample_bilinear2d(latents, size, false);
    case HiresUpscaler::LatentNearestExact: return at::_upsample_nearest_exact2d(latents, size);
    case HiresUpscaler::LatentBicubic: return at::upsample_bicubic2d(latents, size, false);
    case HiresUpscaler::Lanczos: break;
  }
  throw Error(ErrorCategory::Usage, "hires_upscaler", "lanczos works on pixels, not latents");
}

}  // namespace sdxl
