#include "pipeline/inpaint_mask.h"

#include <opencv2/imgproc.hpp>

#include "common/error.h"

namespace sdxl {
namespace {

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
  // processing.py blurs in two calls, cv2.GaussianBlur(np_mask, (ksize, 1), N) then (1, ksize), with
  // ksize = 2*int(2.5*N + 0.5) + 1: the horizontal pass is rounded to 8 bits before the vertical one (one 2-D
  // call would keep OpenCV's 8.8 fixed-point intermediate and differ). OpenCV's 8-bit path is its bit-exact one.
  const int size = 2 * static_cast<int>(2.5 * n + 0.5) + 1;
  at::Tensor src = luminance.contiguous();
  at::Tensor out = at::empty_like(src);
  const int h = static_cast<int>(src.size(0)), w = static_cast<int>(src.size(1));
  const cv::Mat in(h, w, CV_8UC1, src.data_ptr<uint8_t>());
  cv::Mat dst(h, w, CV_8UC1, out.data_ptr<uint8_t>()), mid;
  cv::GaussianBlur(in, mid, cv::Size(size, 1), n, 0, cv::BORDER_REFLECT_101);
  cv::GaussianBlur(mid, dst, cv::Size(1, size), n, 0, cv::BORDER_REFLECT_101);
  return out;
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
