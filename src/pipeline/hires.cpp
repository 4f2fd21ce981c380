#include "pipeline/hires.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"

namespace sdxl {
namespace {

constexpr bool table_in_order() {
  for (size_t i = 0; i < kHiresUpscalers.size(); ++i)
    if (static_cast<size_t>(kHiresUpscalers[i].value) != i) return false;
  return static_cast<size_t>(HiresUpscaler::Lanczos) + 1 == kHiresUpscalers.size();
}
static_assert(table_in_order(), "kHiresUpscalers must list every HiresUpscaler in order");

}  // namespace

HiresUpscaler parse_hires_upscaler(const std::string& text, const std::string& what) {
  std::string valid;
  for (const auto& u : kHiresUpscalers) {
    if (text == u.name) return u.value;
    valid += (valid.empty() ? "" : ", ") + std::string(u.name);
  }
  throw Error(what + ": unknown value '" + text + "' (valid: " + valid + ")");
}

const HiresUpscalerName& hires_upscaler_name(HiresUpscaler u) { return kHiresUpscalers.at(static_cast<size_t>(u)); }

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
  throw Error("upscale_latents: " + std::string(hires_upscaler_name(upscaler).name) + " works on pixels, not latents");
}

}  // namespace sdxl
