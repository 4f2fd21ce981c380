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

// diffusers Upsample2D(use_conv): nearest-neighbour x2, then 3x3 conv. Computed without the upsampled
// image (upsample2x_conv3x3): the same sums from 2x2 kernels on the low-resolution input, 4/9 of the work.
struct VaeUpsampleImpl : torch::nn::Module {
  VaeUpsampleImpl(int64_t channels, const at::TensorOptions& options);
  at::Tensor forward(const at::Tensor& x);
  Conv2d conv{nullptr};
};
TORCH_MODULE(VaeUpsample);

// conv3x3(upsample_nearest_2x(x)) without the upsampled image. Output pixel (2i+a, 2j+b) reads only the input
// rows i-1+a..i+a and columns j-1+b..j+b (its 3x3 window covers each low-resolution pixel once or twice), so
// it is a 2x2 convolution of the input with the 3x3 taps summed per covered pixel: four 2x2 kernels, one per
// output phase (a, b), run as one convolution with 4x the output channels over the input padded by one, then
// interleaved. Same sums as the reference, taps pre-added in float32 (bf16 rounds each summed tap once).
at::Tensor upsample2x_conv3x3(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias);

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
