#include "io/image_compare.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "common/error.h"

namespace sdxl::io {
namespace {

bool sizes_match(const Image& a, const Image& b) {
  return a.width == b.width && a.height == b.height && a.rgb.size() == b.rgb.size() &&
         a.rgb.size() == size_t(a.width) * size_t(a.height) * 3;
}

}  // namespace

CompareResult compare_images(const Image& a, const Image& b) {
  CompareResult r;
  if (!sizes_match(a, b)) {
    r.max_abs_diff = 255;
    r.mean_abs_diff = 255.0;
    r.psnr_db = 0.0;
    r.differing_pixels = std::max(int64_t(a.width) * a.height, int64_t(b.width) * b.height);
    return r;
  }
  r.same_size = true;
  uint64_t sum_abs = 0, sum_sq = 0;
  const size_t pixels = a.rgb.size() / 3;
  for (size_t p = 0; p < pixels; ++p) {
    bool differs = false;
    for (int c = 0; c < 3; ++c) {
      const int d = std::abs(int(a.rgb[p * 3 + c]) - int(b.rgb[p * 3 + c]));
      r.max_abs_diff = std::max(r.max_abs_diff, d);
      sum_abs += uint64_t(d);
      sum_sq += uint64_t(d) * uint64_t(d);
      differs |= d != 0;
    }
    r.differing_pixels += differs;
  }
  const double values = double(a.rgb.size());
  r.mean_abs_diff = values > 0 ? double(sum_abs) / values : 0.0;
  const double mse = values > 0 ? double(sum_sq) / values : 0.0;
  r.psnr_db = mse == 0.0 ? std::numeric_limits<double>::infinity() : 10.0 * std::log10(255.0 * 255.0 / mse);
  return r;
}

Image diff_image(const Image& a, const Image& b) {
  if (!sizes_match(a, b))
    throw Error(ErrorCategory::Input, "", "image diff: sizes differ (" + std::to_string(a.width) + "x" + std::to_string(a.height) + " vs " +
                std::to_string(b.width) + "x" + std::to_string(b.height) + ")");
  Image out{a.width, a.height, std::vector<uint8_t>(a.rgb.size())};
  for (size_t i = 0; i < a.rgb.size(); i += 3) {
    int d = 0;
    for (int c = 0; c < 3; ++c) d = std::max(d, std::abs(int(a.rgb[i + c]) - int(b.rgb[i + c])));
    if (d == 0) {
      // Rec. 601 luma, dimmed.
      const int luma = (299 * a.rgb[i] + 587 * a.rgb[i + 1] + 114 * a.rgb[i + 2]) / 1000;
      out.rgb[i] = out.rgb[i + 1] = out.rgb[i + 2] = uint8_t(luma / 4);
    } else {
      out.rgb[i] = uint8_t(std::min(255, 128 + (d - 1) * 127 / 15));
      out.rgb[i + 1] = out.rgb[i + 2] = 0;
    }
  }
  return out;
}

int PixelDiff::max_abs() const { return std::max({std::abs(diff[0]), std::abs(diff[1]), std::abs(diff[2])}); }

std::vector<PixelDiff> largest_differences(const Image& a, const Image& b, size_t n) {
  std::vector<PixelDiff> out;
  if (a.width != b.width || a.height != b.height || a.rgb.size() != b.rgb.size()) return out;
  for (int y = 0; y < a.height; ++y)
    for (int x = 0; x < a.width; ++x) {
      const size_t at = 3 * (static_cast<size_t>(y) * a.width + x);
      PixelDiff d{x, y, {b.rgb[at] - a.rgb[at], b.rgb[at + 1] - a.rgb[at + 1], b.rgb[at + 2] - a.rgb[at + 2]}};
      if (d.max_abs() > 0) out.push_back(d);
    }
  std::stable_sort(out.begin(), out.end(), [](const PixelDiff& l, const PixelDiff& r) { return l.max_abs() > r.max_abs(); });
  if (out.size() > n) out.resize(n);
  return out;
}

}  // namespace sdxl::io
