// 8-bit RGBA operations exactly as Pillow computes them, for the web UI's masked-content "fill"
// (pipeline/masked_content.h), which runs on Pillow images. Cited from python-pillow/Pillow @
// 4e5f09f533dbd0d87d39951f48b62f4d1a421cba (13.0.0.dev0; the reference environment pins Pillow 13.0.0):
//  - src/libImaging/Paste.c paste_mask_L and ImagingUtils.h DIV255: pasting through an "L" mask;
//  - src/libImaging/BoxBlur.c: ImageFilter.GaussianBlur as three extended box blurs per axis;
//  - src/libImaging/Convert.c rgba2rgbA: "RGBa" (premultiplied) -> "RGBA";
//  - src/libImaging/AlphaComposite.c: Image.alpha_composite.
#pragma once
#include <cstdint>
#include <vector>

#include "io/png.h"

namespace sdxl::io {

// Four 8-bit channels per pixel, row-major; premultiplied ("RGBa") or straight ("RGBA") as each function says.
struct RgbaImage {
  int width = 0, height = 0;
  std::vector<uint8_t> rgba;
};

// A new (zero) "RGBa" image with `image` (as RGBA, alpha 255) pasted through the L mask `alpha` (one byte per
// pixel): every channel, alpha included, becomes DIV255(v * alpha).
RgbaImage paste_through_mask(const Image& image, const std::vector<uint8_t>& alpha);
// ImageFilter.GaussianBlur(radius) of a 4-band image (radius 0: a copy).
RgbaImage gaussian_blur(const RgbaImage& image, float radius);
// "RGBa" -> "RGBA": each colour channel 255 * v / alpha in integers (alpha 0 or 255: unchanged).
RgbaImage unpremultiply(const RgbaImage& image);
// dst.alpha_composite(src) in place (both straight RGBA, same size).
void alpha_composite(RgbaImage& dst, const RgbaImage& src);
// "RGBA" -> "RGB": the alpha channel dropped.
Image rgb_of(const RgbaImage& image);

}  // namespace sdxl::io
