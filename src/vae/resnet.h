// diffusers ResnetBlock2D as used inside the VAE: no time embedding, GroupNorm eps 1e-6, SiLU.
#pragma once
#include <torch/torch.h>

#include "common/layers.h"

namespace sdxl {

// Epsilon of every GroupNorm in AutoencoderKL (diffusers Encoder/Decoder pass resnet_eps=1e-6).
constexpr double kVaeNormEps = 1e-6;

// out = x' + conv2(silu(norm2(conv1(silu(norm1(x)))))), where x' = conv_shortcut(x) (1x1) when
// in_channels != out_channels, else x (diffusers use_in_shortcut; output_scale_factor 1, no dropout at inference).
struct VaeResnetBlockImpl : torch::nn::Module {
  VaeResnetBlockImpl(int64_t in_channels, int64_t out_channels, int64_t groups, const at::TensorOptions& options);
  at::Tensor forward(const at::Tensor& x);

  GroupNorm norm1{nullptr}, norm2{nullptr};
  Conv2d conv1{nullptr}, conv2{nullptr}, conv_shortcut{nullptr};
};
TORCH_MODULE(VaeResnetBlock);

// 3x3 convolution with padding 1 (the VAE's default conv).
Conv2d conv3x3(int64_t in_channels, int64_t out_channels, const at::TensorOptions& options);
// GroupNorm with the VAE epsilon.
GroupNorm vae_group_norm(int64_t groups, int64_t channels, const at::TensorOptions& options);

}  // namespace sdxl
