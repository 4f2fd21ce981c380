// The VAE's building blocks with diffusers names: resampling layers, encoder/decoder blocks, mid block.
#pragma once
#include <torch/torch.h>

#include "vae/attention.h"
#include "vae/resnet.h"

namespace sdxl {

// diffusers Downsample2D(use_conv, padding=0): zero-pad right and bottom by one, then 3x3 conv stride 2.
struct VaeDownsampleImpl : torch::nn::Module {
  VaeDownsampleImpl(int64_t channels, const at::TensorOptions& options);
  at::Tensor forward(const at::Tensor& x);
  Conv2d conv{nullptr};
};
TORCH_MODULE(VaeDownsample);

// diffusers Upsample2D(use_conv): nearest-neighbour x2, then 3x3 conv.
struct VaeUpsampleImpl : torch::nn::Module {
  VaeUpsampleImpl(int64_t channels, const at::TensorOptions& options);
  at::Tensor forward(const at::Tensor& x);
  Conv2d conv{nullptr};
};
TORCH_MODULE(VaeUpsample);

// DownEncoderBlock2D: `layers` resnets (the first maps in -> out), then an optional downsampler.
struct DownEncoderBlockImpl : torch::nn::Module {
  DownEncoderBlockImpl(int64_t in_channels, int64_t out_channels, int64_t layers, int64_t groups, bool downsample,
                       const at::TensorOptions& options);
  at::Tensor forward(at::Tensor x);
  torch::nn::ModuleList resnets, downsamplers;
};
TORCH_MODULE(DownEncoderBlock);

// UpDecoderBlock2D: `layers` resnets (the first maps in -> out), then an optional upsampler.
struct UpDecoderBlockImpl : torch::nn::Module {
  UpDecoderBlockImpl(int64_t in_channels, int64_t out_channels, int64_t layers, int64_t groups, bool upsample,
                     const at::TensorOptions& options);
  at::Tensor forward(at::Tensor x);
  torch::nn::ModuleList resnets, upsamplers;
};
TORCH_MODULE(UpDecoderBlock);

// UNetMidBlock2D without time embedding: resnet, attention, resnet.
struct VaeMidBlockImpl : torch::nn::Module {
  VaeMidBlockImpl(int64_t channels, int64_t groups, const at::TensorOptions& options);
  at::Tensor forward(at::Tensor x);
  torch::nn::ModuleList resnets, attentions;
};
TORCH_MODULE(VaeMidBlock);

}  // namespace sdxl
