#include "io/pillow_rgba.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"

namespace sdxl::io {
namespace {

// ImagingUtils.h: (a + 128) / 255 rounded, in Pillow's shift form.
uint32_t div255(uint32_t a) {
  const uint32_t t = a + 128;
  return ((t >> 8) + t) >> 8;
}

// BoxBlur.c ImagingLineBoxBlur32 on one channel: a box of radius `radius` whole pixels plus a fractional
// weight `fw` (of 2^24) for the two pixels just outside it; pixels past either end repeat the edge pixel.
// Unsigned arithmetic wraps exactly as the C code's does.
void line_box_blur(uint8_t* out, const uint8_t* in, int channel, int lastx, int radius, int edgeA, int edgeB,
                   uint32_t ww, uint32_t fw) {
  auto px = [&](int x) -> uint32_t { return in[x * 4 + channel]; };
  auto save = [&](int x, uint32_t bulk) { out[x * 4 + channel] = static_cast<uint8_t>((bulk + (1u << 23)) >> 24); };
  auto move = [&](uint32_t& acc, int subtract, int add) { acc = acc + px(add) - px(subtract); };
  auto far = [&](uint32_t acc, int left, int right) { return acc * ww + (px(left) + px(right)) * fw; };
  uint32_t acc = px(0) * static_cast<uint32_t>(radius + 1);
  for (int x = 0; x < edgeA - 1; ++x) acc += px(x);
  acc += px(lastx) * static_cast<uint32_t>(radius - edgeA + 1);
  if (edgeA <= edgeB) {
    for (int x = 0; x < edgeA; ++x) move(acc, 0, x + radius), save(x, far(acc, 0, x + radius + 1));
    for (int x = edgeA; x < edgeB; ++x)
      move(acc, x - radius - 1, x + radius), save(x, far(acc, x - radius - 1, x + radius + 1));
    for (int x = edgeB; x <= lastx; ++x) move(acc, x - radius - 1, lastx), save(x, far(acc, x - radius - 1, lastx));
  } else {
    for (int x = 0; x < edgeB; ++x) move(acc, 0, x + radius), save(x, far(acc, 0, x + radius + 1));
    for (int x = edgeB; x < edgeA; ++x) move(acc, 0, lastx), save(x, far(acc, 0, lastx));
    for (int x = edgeA; x <= lastx; ++x) move(acc, x - radius - 1, lastx), save(x, far(acc, x - radius - 1, lastx));
  }
}

// BoxBlur.c ImagingHorizontalBoxBlur: every row, every channel (each row reads the input row as it was).
RgbaImage horizontal_box_blur(const RgbaImage& in, float float_radius) {
  const int radius = static_cast<int>(float_radius);
  // The weights in float, as the C code divides (UINT32)(1 << 24) by a float.
  const uint32_t ww = static_cast<uint32_t>(static_cast<float>(1u << 24) / (float_radius * 2 + 1));
  const uint32_t fw = ((1u << 24) - static_cast<uint32_t>(radius * 2 + 1) * ww) / 2;
  const int edgeA = std::min(radius + 1, in.width), edgeB = std::max(in.width - radius - 1, 0);
  RgbaImage out{in.width, in.height, std::vector<uint8_t>(in.rgba.size())};
  for (int y = 0; y < in.height; ++y) {
    const size_t row = static_cast<size_t>(y) * in.width * 4;
    for (int c = 0; c < 4; ++c)
      line_box_blur(&out.rgba[row], &in.rgba[row], c, in.width - 1, radius, edgeA, edgeB, ww, fw);
  }
  return out;
}

RgbaImage transposed(const RgbaImage& in) {
  RgbaImage out{in.height, in.width, std::vector<uint8_t>(in.rgba.size())};
  for (int y = 0; y < in.height; ++y)
    for (int x = 0; x < in.width; ++x)
      std::copy_n(&in.rgba[(static_cast<size_t>(y) * in.width + x) * 4], 4,
                  &out.rgba[(static_cast<size_t>(x) * in.height + y) * 4]);
  return out;
}

// BoxBlur.c _gaussian_blur_radius: the extended box radius whose `passes` repetitions have the Gaussian's
// variance (Gwosdek et al., SSVM 2011), in the C code's float and double steps.
float gaussian_blur_radius(float radius, int passes) {
  const float sigma2 = radius * radius / static_cast<float>(passes);
  const float L = static_cast<float>(std::sqrt(12.0 * sigma2 + 1.0));
  const float l = static_cast<float>(std::floor((L - 1.0) / 2.0));
  float a = (2 * l + 1) * (l * (l + 1) - 3 * sigma2);
  a /= 6 * (sigma2 - (l + 1) * (l + 1));
  return l + a;
}

}  // namespace

RgbaImage paste_through_mask(const Image& image, const std::vector<uint8_t>& alpha) {
  const size_t n = static_cast<size_t>(image.width) * image.height;
  if (alpha.size() != n) throw Error(ErrorCategory::Input, "", "paste_through_mask: the mask is not the image's size");
  RgbaImage out{image.width, image.height, std::vector<uint8_t>(n * 4)};
  for (size_t i = 0; i < n; ++i) {
    for (int c = 0; c < 3; ++c) out.rgba[i * 4 + c] = static_cast<uint8_t>(div255(image.rgb[i * 3 + c] * alpha[i]));
    out.rgba[i * 4 + 3] = static_cast<uint8_t>(div255(255u * alpha[i]));
  }
  return out;
}

RgbaImage gaussian_blur(const RgbaImage& image, float radius) {
  if (radius == 0 || image.width == 0 || image.height == 0) return image;  // ImageFilter.GaussianBlur.filter
  constexpr int kPasses = 3;
  const float r = gaussian_blur_radius(radius, kPasses);
  RgbaImage out = image;
  // ImagingBoxBlur: the passes along x, then along y on the transposed image.
  if (r != 0)
    for (int i = 0; i < kPasses; ++i) out = horizontal_box_blur(out, r);
  if (r != 0) {
    out = transposed(out);
    for (int i = 0; i < kPasses; ++i) out = horizontal_box_blur(out, r);
    out = transposed(out);
  }
  return out;
}

RgbaImage unpremultiply(const RgbaImage& image) {
  RgbaImage out = image;
  for (size_t i = 0; i + 3 < out.rgba.size(); i += 4) {
    const uint32_t alpha = image.rgba[i + 3];
    if (alpha == 255 || alpha == 0) continue;
    for (int c = 0; c < 3; ++c) out.rgba[i + c] = static_cast<uint8_t>(std::min(255u, 255u * image.rgba[i + c] / alpha));
  }
  return out;
}

void alpha_composite(RgbaImage& dst, const RgbaImage& src) {
  if (dst.width != src.width || dst.height != src.height)
    throw Error(ErrorCategory::Input, "", "alpha_composite: the images differ in size");
  constexpr uint32_t kBits = 7;  // AlphaComposite.c PRECISION_BITS
  auto shift_div255 = [](uint32_t a) { return ((a >> 8) + a) >> 8; };
  for (size_t i = 0; i + 3 < dst.rgba.size(); i += 4) {
    const uint32_t sa = src.rgba[i + 3];
    if (sa == 0) continue;
    const uint32_t blend = dst.rgba[i + 3] * (255 - sa);
    const uint32_t outa255 = sa * 255 + blend;
    const uint32_t coef1 = sa * 255 * 255 * (1u << kBits) / outa255;
    const uint32_t coef2 = 255 * (1u << kBits) - coef1;
    for (int c = 0; c < 3; ++c) {
      const uint32_t t = src.rgba[i + c] * coef1 + dst.rgba[i + c] * coef2;
      dst.rgba[i + c] = static_cast<uint8_t>(shift_div255(t + (0x80u << kBits)) >> kBits);
    }
    dst.rgba[i + 3] = static_cast<uint8_t>(shift_div255(outa255 + 0x80));
  }
}

Image rgb_of(const RgbaImage& image) {
  const size_t n = static_cast<size_t>(image.width) * image.height;
  Image out{image.width, image.height, std::vector<uint8_t>(n * 3)};
  for (size_t i = 0; i < n; ++i) std::copy_n(&image.rgba[i * 4], 3, &out.rgb[i * 3]);
  return out;
}

}  // namespace sdxl::io
