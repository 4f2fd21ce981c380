// PNG files for sdxl-gen: 8-bit RGB images with text metadata (the generation parameters).
// Writing: stb_image_write encodes, we insert the text chunks after IHDR, the file appears atomically.
// Reading: the chunk structure is validated first (png_chunks.h), then stb_image decodes; every problem
// with a file is an sdxl::Error naming it, never a crash (hostile input is expected: this is fuzzed).
#pragma once
#include <ATen/ATen.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sdxl::io {

// 8-bit RGB, row-major HWC: pixel (y, x) channel c at rgb[(y * width + x) * 3 + c].
struct Image {
  int width = 0, height = 0;
  std::vector<uint8_t> rgb;
  bool operator==(const Image& o) const { return width == o.width && height == o.height && rgb == o.rgb; }
};

// (keyword, value) pairs in UTF-8, in file order.
using PngText = std::vector<std::pair<std::string, std::string>>;

// Encodes `image` with `text_chunks` (tEXt, or iTXt for values outside Latin-1) placed after IHDR.
// Throws sdxl::Error for an empty/oversized image (sides 1..16384), a pixel buffer of the wrong size,
// or an invalid keyword/value (see png_text.h).
std::string encode_png(const Image& image, const PngText& text_chunks = {});
// encode_png, written atomically (temp file + rename) to `path`.
void write_png(const std::string& path, const Image& image, const PngText& text_chunks = {});

// Decodes a PNG held in memory; `name` is used in error messages. Any bit depth / colour type is
// converted to 8-bit RGB (16-bit keeps the high byte, alpha is dropped, grey and palettes expanded;
// gamma/colour-space chunks are ignored). Text chunks (tEXt/zTXt/iTXt) are always validated and go to
// `text_chunks` when given.
Image decode_png(std::string_view bytes, const std::string& name, PngText* text_chunks = nullptr);
// decode_png of the file at `path` (at most kMaxPngFileBytes).
Image read_png(const std::string& path, PngText* text_chunks = nullptr);

// uint8 [H, W, 3] tensor (any device, any strides) <-> Image. Other dtypes/shapes throw sdxl::Error.
Image from_tensor(const at::Tensor& hwc);
at::Tensor to_tensor(const Image& image);  // uint8 [H, W, 3] on the CPU, owning its memory

}  // namespace sdxl::io
