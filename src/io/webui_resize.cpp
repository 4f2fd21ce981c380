#include "io/webui_resize.h"

#include "io/lanczos.h"

namespace sdxl::io {
namespace {

// Image.paste(patch, (x, y)) into `dst`, clipped to it.
void paste_at(Image& dst, const Image& patch, int x0, int y0) {
  for (int y = 0; y < patch.height; ++y) {
    const int dy = y + y0;
    if (dy < 0 || dy >= dst.height) continue;
    for (int x = 0; x < patch.width; ++x) {
      const int dx = x + x0;
      if (dx < 0 || dx >= dst.width) continue;
      for (int c = 0; c < 3; ++c)
        dst.rgb[(static_cast<size_t>(dy) * dst.width + dx) * 3 + c] =
            patch.rgb[(static_cast<size_t>(y) * patch.width + x) * 3 + c];
    }
  }
}

Image black_image(int width, int height) {
  return Image{width, height, std::vector<uint8_t>(static_cast<size_t>(width) * height * 3, 0)};
}

float as_float(int v) { return static_cast<float>(v); }

}  // namespace

Image webui_resize(const Image& im, int width, int height, WebUiResize mode) {
  if (mode == WebUiResize::JustResize) return lanczos_resize(im, width, height);
  // Python's float ratios and floor divisions of non-negative integers, as resize_image computes them.
  const double ratio = static_cast<double>(width) / height, src_ratio = static_cast<double>(im.width) / im.height;
  Image res = black_image(width, height);
  if (mode == WebUiResize::CropAndResize) {
    const int src_w = ratio > src_ratio ? width : im.width * height / im.height;
    const int src_h = ratio <= src_ratio ? height : im.height * width / im.width;
    paste_at(res, lanczos_resize(im, src_w, src_h), width / 2 - src_w / 2, height / 2 - src_h / 2);
    return res;
  }
  const int src_w = ratio < src_ratio ? width : im.width * height / im.height;
  const int src_h = ratio >= src_ratio ? height : im.height * width / im.width;
  const Image resized = lanczos_resize(im, src_w, src_h);
  paste_at(res, resized, width / 2 - src_w / 2, height / 2 - src_h / 2);
  // The bands: "resizes" of the empty span at the resized image's top/bottom (left/right) edge with Pillow's
  // default filter (resize_image passes no resample there: bicubic), which weighs its two outermost rows
  // (columns), stretched over the band.
  if (ratio < src_ratio) {
    const int fill_height = height / 2 - src_h / 2;
    if (fill_height > 0) {
      paste_at(res, pillow_resize(resized, width, fill_height, ResampleFilter::Bicubic, {0, 0, as_float(width), 0}), 0, 0);
      paste_at(res,
               pillow_resize(resized, width, fill_height, ResampleFilter::Bicubic,
                             {0, as_float(resized.height), as_float(width), as_float(resized.height)}),
               0, fill_height + src_h);
    }
  } else if (ratio > src_ratio) {
    const int fill_width = width / 2 - src_w / 2;
    if (fill_width > 0) {
      paste_at(res, pillow_resize(resized, fill_width, height, ResampleFilter::Bicubic, {0, 0, 0, as_float(height)}), 0, 0);
      paste_at(res,
               pillow_resize(resized, fill_width, height, ResampleFilter::Bicubic,
                             {as_float(resized.width), 0, as_float(resized.width), as_float(height)}),
               fill_width + src_w, 0);
    }
  }
  return res;
}

}  // namespace sdxl::io
