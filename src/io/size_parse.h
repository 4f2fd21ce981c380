// Parsing "WxH" sizes and "A,B" pairs from flags and prompt-file fields. Strict: no whitespace, no signs,
// decimal digits only; every error says what was wrong with which text.
#pragma once
#include <string>
#include <utility>

namespace sdxl::io {

// Largest side accepted: the PNG reader's limit. SDXL is trained around 1024x1024 (its buckets reach
// 2048 on the long side); 16384 leaves room for tiled/upscaled work while keeping every buffer size
// (16384^2 x 3 bytes ~ 805 MB per image, latents 2048^2) far from integer overflow.
constexpr int kMaxImageSide = 16384;

struct WidthHeight {
  int width = 0, height = 0;
};

// "1024x768" (or "1024X768") -> width 1024, height 768. Each side in 1..kMaxImageSide and a multiple of
// `multiple_of` (8 for generated images: the VAE turns 8x8 pixels into one latent; pass 1 for
// micro-conditioning sizes, which describe source images of any size). Throws sdxl::Error.
WidthHeight parse_size(const std::string& text, int multiple_of = 8);

// "16,8" -> (16, 8): two integers in 0..kMaxImageSide (crop top,left). Throws sdxl::Error.
std::pair<int, int> parse_pair(const std::string& text);

// "64,0,64,0" -> left 64, top 0, right 64, bottom 0 (--outpaint): four integers in 0..kMaxImageSide, each a
// multiple of `multiple_of`, not all zero. Throws sdxl::Error.
struct Edges {
  int left = 0, top = 0, right = 0, bottom = 0;
};
Edges parse_edges(const std::string& text, int multiple_of = 8);

}  // namespace sdxl::io
