// transformers CLIPImageProcessor with its defaults, which diffusers' encode_image uses for IP-Adapter:
// RGB; shortest side resized to the encoder's image size with Pillow's BICUBIC (the long side
// int(size * long / short)); centre crop (top/left = (side - size) // 2); x/255; (x - mean) / std with the
// OpenAI CLIP statistics, in float32 as numpy computes it.
#pragma once
#include <ATen/ATen.h>

#include "io/png.h"

namespace sdxl {

// [1, 3, size, size] float32 on the CPU.
at::Tensor clip_image_pixels(const io::Image& rgb, int64_t size);

}  // namespace sdxl
