#include "pipeline/inpaint_full_res.h"

#include <algorithm>

#include "common/error.h"

namespace sdxl {
namespace {

// Grows [lo, hi) by `grow` (half before, the rest after), then moves it back into [0, limit).
void grow_span(int& lo, int& hi, int grow, int limit) {
  lo -= grow / 2;
  hi += grow - grow / 2;
  if (hi >= limit) {
    lo -= hi - limit;
    hi = limit;
  }
  if (lo < 0) {
    hi -= lo;
    lo = 0;
  }
  hi = std::min(hi, limit);
}

}  // namespace

CropBox mask_crop_region(const at::Tensor& luminance, int padding) {
  at::Tensor nz = luminance.nonzero();  // [N, 2] (y, x)
  if (nz.size(0) == 0) throw Error(ErrorCategory::Input, "", "mask_crop_region: the mask is all black");
  const int H = static_cast<int>(luminance.size(0)), W = static_cast<int>(luminance.size(1));
  at::Tensor lo = std::get<0>(nz.min(0)), hi = std::get<0>(nz.max(0));
  CropBox b;
  b.y1 = std::max(lo[0].item<int>() - padding, 0);
  b.x1 = std::max(lo[1].item<int>() - padding, 0);
  b.y2 = std::min(hi[0].item<int>() + 1 + padding, H);
  b.x2 = std::min(hi[1].item<int>() + 1 + padding, W);
  return b;
}

CropBox expand_to_aspect(CropBox b, int width, int height, int image_width, int image_height) {
  const double box_ratio = static_cast<double>(b.width()) / b.height(), ratio = static_cast<double>(width) / height;
  // As the web UI: the missing length truncated to whole pixels.
  if (box_ratio > ratio)
    grow_span(b.y1, b.y2, static_cast<int>(b.width() / ratio - b.height()), image_height);
  else
    grow_span(b.x1, b.x2, static_cast<int>(b.height() * ratio - b.width()), image_width);
  return b;
}

io::Image crop(const io::Image& image, const CropBox& b) {
  io::Image out{b.width(), b.height(), std::vector<uint8_t>(static_cast<size_t>(b.width()) * b.height() * 3)};
  for (int y = 0; y < b.height(); ++y)
    std::copy_n(&image.rgb[(static_cast<size_t>(y + b.y1) * image.width + b.x1) * 3],
                static_cast<size_t>(b.width()) * 3, &out.rgb[static_cast<size_t>(y) * b.width() * 3]);
  return out;
}

io::Image paste(const io::Image& image, const io::Image& patch, const CropBox& b) {
  if (patch.width != b.width() || patch.height != b.height()) throw Error(ErrorCategory::Input, "", "paste: the patch is not the box's size");
  io::Image out = image;
  for (int y = 0; y < b.height(); ++y)
    std::copy_n(&patch.rgb[static_cast<size_t>(y) * b.width() * 3], static_cast<size_t>(b.width()) * 3,
                &out.rgb[(static_cast<size_t>(y + b.y1) * image.width + b.x1) * 3]);
  return out;
}

}  // namespace sdxl
