#include "vision/clip_image_processor.h"

#include "common/error.h"
#include "io/lanczos.h"

namespace sdxl {
namespace {

// OPENAI_CLIP_MEAN / OPENAI_CLIP_STD (transformers image_utils).
constexpr double kMean[3] = {0.48145466, 0.4578275, 0.40821073};
constexpr double kStd[3] = {0.26862954, 0.26130258, 0.27577711};

}  // namespace

at::Tensor clip_image_pixels(const io::Image& rgb, int64_t size) {
  if (rgb.width < 1 || rgb.height < 1) throw Error(ErrorCategory::Input, "ip_image", "empty image");
  // get_resize_output_image_size(default_to_square=False): the short side becomes `size`.
  const bool wide = rgb.width > rgb.height;
  const int64_t short_side = wide ? rgb.height : rgb.width, long_side = wide ? rgb.width : rgb.height;
  const auto new_long = static_cast<int>(size * long_side / short_side);  // int(size * long / short)
  const int w = wide ? new_long : static_cast<int>(size), h = wide ? static_cast<int>(size) : new_long;
  const io::Image resized = io::pillow_resize(rgb, w, h, io::ResampleFilter::Bicubic);
  const int64_t top = (h - size) / 2, left = (w - size) / 2;
  at::Tensor out = at::empty({1, 3, size, size}, at::kFloat);
  float* o = out.data_ptr<float>();
  for (int c = 0; c < 3; ++c) {
    const auto mean = static_cast<float>(kMean[c]), std = static_cast<float>(kStd[c]);
    for (int64_t y = 0; y < size; ++y)
      for (int64_t x = 0; x < size; ++x) {
        const uint8_t v = resized.rgb[((top + y) * w + left + x) * 3 + c];
        // rescale: float64 multiply by 1/255, stored as float32; normalize in float32.
        const auto scaled = static_cast<float>(static_cast<double>(v) * (1.0 / 255.0));
        o[(c * size + y) * size + x] = (scaled - mean) / std;
      }
  }
  return out;
}

}  // namespace sdxl
