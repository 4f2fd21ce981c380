// Conversions between VAE images (float, [-1,1], NCHW) and 8-bit RGB (uint8, NHWC), as diffusers'
// VaeImageProcessor does them.
#pragma once
#include <ATen/ATen.h>

namespace sdxl {

// Decoded image [B,3,H,W] (any float dtype/device) -> uint8 [B,H,W,3] on the CPU:
// (x/2 + 0.5).clamp(0,1) * 255, rounded half to even (torch.round), then cast. Computed in float32.
at::Tensor image_to_uint8(const at::Tensor& image);

// uint8 RGB [H,W,3] or [B,H,W,3] -> float32 [B,3,H,W] in [-1,1]: x/255*2 - 1 (img2img input to the encoder).
at::Tensor uint8_to_image(const at::Tensor& pixels);

}  // namespace sdxl
