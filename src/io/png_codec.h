// The one translation unit that compiles stb_image / stb_image_write (PNG and zlib only).
// Callers validate the PNG structure first (png_chunks.h); these wrappers only encode and decode.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sdxl::io::png_codec {

// Inflates a zlib stream. False when the stream is corrupt or would produce more than `max_out` bytes.
// The output lands in `out` when given; `out_size` (when given) receives its length. The buffer is
// allocated uninitialised, so memory is only touched as far as the stream really inflates.
bool zlib_inflate(std::string_view in, size_t max_out, std::string* out, size_t* out_size = nullptr);

// 8-bit RGB pixels (row-major, 3 bytes a pixel) -> complete PNG file: signature, IHDR, IDAT, IEND.
std::string encode_rgb(const uint8_t* rgb, int width, int height);

// PNG file -> 8-bit RGB (16-bit reduced, grey/palette expanded, alpha dropped). False with *error set
// to stb_image's reason when the data cannot be decoded.
bool decode_rgb(std::string_view png, int* width, int* height, std::vector<uint8_t>* rgb, std::string* error);

// The alpha channel of a PNG (255 where it has none), one byte a pixel; *has_alpha says whether the file has
// one (an alpha channel or transparency chunk). Callers validate the structure first (io::decode_png).
bool decode_alpha(std::string_view png, int* width, int* height, std::vector<uint8_t>* alpha, bool* has_alpha,
                  std::string* error);

}  // namespace sdxl::io::png_codec
