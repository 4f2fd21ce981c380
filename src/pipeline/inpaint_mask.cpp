#include "pipeline/inpaint_mask.h"

#include <cmath>
#include <vector>

#include "common/error.h"

namespace sdxl {
namespace {

// OpenCV getGaussianKernelBitExact (sigma > 0): taps exp(-x^2 / (2 sigma^2)) normalised so they sum to one,
// computed as OpenCV does (x in half-units, the centre tap is exactly the normaliser).
std::vector<double> gaussian_taps(int size, double sigma) {
  const int half = size / 2;
  const double scale2x = -0.125 / (sigma * sigma);
  std::vector<double> side;
  double sum = 0;
  for (int i = 0, x = 1 - size; i < half; ++i, x += 2) {
    side.push_back(std::exp(static_cast<double>(x) * x * scale2x));
    sum += side.back();
  }
  const double mul = 1.0 / (sum * 2 + 1.0);
  std::vector<double> taps(size);
  for (int i = 0; i < half; ++i) taps[i] = taps[size - 1 - i] = side[i] * mul;
  taps[half] = mul;
  return taps;
}

// OpenCV getGaussianKernelFixedPoint_ED with 8 fraction bits: round each outer tap (to nearest, ties to
// even, as cvRound) after adding the previous tap's rounding error; the centre takes what is left of 256.
std::vector<int> fixed_point_taps(const std::vector<double>& taps) {
  const int size = static_cast<int>(taps.size()), half = size / 2;
  std::vector<int> out(size);
  double err = 0;
  int sum = 0;
  for (int i = 0; i < half; ++i) {
    const double v = taps[i] * 256.0 + err;
    const int r = static_cast<int>(std::nearbyint(v));
    err = v - r;
    out[i] = out[size - 1 - i] = r;
    sum += r;
  }
  out[half] = 256 - 2 * sum;
  return out;
}

int reflect101(int i, int n) {
  if (n == 1) return 0;
  while (i < 0 || i >= n) i = i < 0 ? -i : 2 * (n - 1) - i;
  return i;
}

// One 1-D pass along `axis` (1 = rows, 0 = columns) of an 8-bit plane.
at::Tensor blur_pass(const at::Tensor& plane, const std::vector<int>& k, int axis) {
  at::Tensor src = plane.contiguous();
  const int H = static_cast<int>(src.size(0)), W = static_cast<int>(src.size(1)), r = static_cast<int>(k.size()) / 2;
  at::Tensor dst = at::empty_like(src);
  const uint8_t* s = src.data_ptr<uint8_t>();
  uint8_t* d = dst.data_ptr<uint8_t>();
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x) {
      int acc = 0;
      for (int j = -r; j <= r; ++j) {
        const int yy = axis == 0 ? reflect101(y + j, H) : y, xx = axis == 1 ? reflect101(x + j, W) : x;
        acc += s[yy * W + xx] * k[j + r];
      }
      d[y * W + x] = static_cast<uint8_t>((acc + 128) >> 8);
    }
  return dst;
}

void check_plane(const at::Tensor& t, const char* what) {
  if (t.scalar_type() != at::kByte || t.dim() != 2) throw Error(ErrorCategory::Input, "", std::string(what) + ": expected a uint8 [H,W] mask");
}

}  // namespace

at::Tensor mask_luminance(const io::Image& mask) {
  at::Tensor out = at::empty({mask.height, mask.width}, at::kByte);
  uint8_t* d = out.data_ptr<uint8_t>();
  const size_t n = static_cast<size_t>(mask.width) * mask.height;
  for (size_t i = 0; i < n; ++i) {
    const uint32_t r = mask.rgb[3 * i], g = mask.rgb[3 * i + 1], b = mask.rgb[3 * i + 2];
    d[i] = static_cast<uint8_t>((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16);
  }
  return out;
}

at::Tensor blur_mask(const at::Tensor& luminance, int n) {
  check_plane(luminance, "blur_mask");
  if (n < 1) return luminance;
  const int size = 2 * static_cast<int>(2.5 * n + 0.5) + 1;
  const std::vector<int> k = fixed_point_taps(gaussian_taps(size, n));
  return blur_pass(blur_pass(luminance, k, 1), k, 0);
}

at::Tensor binarize_mask(const at::Tensor& luminance) {
  check_plane(luminance, "binarize_mask");
  // Same float32 comparison as diffusers: value / 255 >= 0.5.
  return (luminance.to(at::kFloat) / 255.0f >= 0.5f).to(at::kFloat).unsqueeze(0).unsqueeze(0);
}

at::Tensor latent_mask(const at::Tensor& binary, int64_t h, int64_t w) {
  return at::upsample_nearest2d(binary, {h, w});
}

at::Tensor overlay_alpha(const at::Tensor& luminance) {
  check_plane(luminance, "overlay_alpha");
  return (luminance.to(at::kInt) * 2).clamp_max(255);
}

at::Tensor paste_unmasked(const at::Tensor& generated, const at::Tensor& original, const at::Tensor& alpha) {
  // generated uint8 [B,H,W,3], original uint8 [H,W,3], alpha int [H,W].
  at::Tensor a = alpha.unsqueeze(-1).to(at::kInt);
  at::Tensor mixed = generated.to(at::kInt) * a + original.to(at::kInt).unsqueeze(0) * (255 - a);
  return at::floor_divide(mixed + 127, 255).to(at::kByte).contiguous();
}

}  // namespace sdxl
