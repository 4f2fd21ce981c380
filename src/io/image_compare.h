// Golden-image comparison for `sdxl-gen compare`: per-channel 8-bit differences and a visual diff.
#pragma once
#include <cstdint>
#include <vector>

#include "io/png.h"

namespace sdxl::io {

struct CompareResult {
  bool same_size = false;      // when false the other fields hold their worst values (255, 255, 0 dB, all pixels)
  int max_abs_diff = 0;        // largest |a - b| over all channels, 0..255
  double mean_abs_diff = 0.0;  // mean |a - b| over all channel values
  double psnr_db = 0.0;        // 10 log10(255^2 / MSE); +infinity when the images are identical
  int64_t differing_pixels = 0;  // pixels where any channel differs
};

CompareResult compare_images(const Image& a, const Image& b);

// One pixel where two same-sized images differ: position and the per-channel differences b - a.
struct PixelDiff {
  int x = 0, y = 0;
  int diff[3] = {0, 0, 0};
  int max_abs() const;
};
// The `n` pixels whose largest channel difference is biggest (ties: first in row-major order), for
// saying where two images differ; empty for identical or differently sized images.
std::vector<PixelDiff> largest_differences(const Image& a, const Image& b, size_t n);

// Visual diff of two same-sized images (sdxl::Error otherwise): unchanged pixels show `a` as dim grey
// (luma / 4, so the picture stays recognisable), changed pixels are pure red from 128 (a difference of 1)
// up to 255 (a difference of 16 or more), so even a one-level change stands out.
Image diff_image(const Image& a, const Image& b);

}  // namespace sdxl::io
