// The UNet's resolution changes (diffusers Downsample2D / Upsample2D with use_conv).
#pragma once
#include <torch/torch.h>

#include "common/layers.h"

namespace sdxl {

// 3x3 convolution with stride 2. padding = config downsample_padding (1 for SDXL); with padding 0 the
// input is first padded by one on the right and bottom (diffusers' asymmetric variant).
struct Downsample2DImpl : torch::nn::Module {
  Downsample2DImpl(int64_t channels, int64_t padding, const at::TensorOptions& options);
  at::Tensor forward(const at::Tensor& x);
  Conv2d conv{nullptr};

 private:
  int64_t padding_;
};
TORCH_MODULE(Downsample2D);

// Nearest-neighbour resize to `size` (the spatial size of the skip connection that the next up block
// concatenates: 2x, or less when a downsampled side was odd), then a 3x3 convolution. The source index is
// floor(dst * in / out) (PyTorch legacy "nearest"), as F.interpolate(x, size=..., mode="nearest").
struct Upsample2DImpl : torch::nn::Module {
  Upsample2DImpl(int64_t channels, const at::TensorOptions& options);
  at::Tensor forward(const at::Tensor& x, at::IntArrayRef size);
  Conv2d conv{nullptr};
};
TORCH_MODULE(Upsample2D);

}  // namespace sdxl
