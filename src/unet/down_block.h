// UNet encoder block: diffusers DownBlock2D (resnets only) and CrossAttnDownBlock2D (each resnet followed
// by a Transformer2DModel), with an optional stride-2 downsampler at the end.
#pragma once
#include <torch/torch.h>

#include "unet/activations.h"
#include "unet/block_settings.h"
#include "unet/resampling.h"
#include "unet/resnet.h"
#include "unet/transformer.h"

namespace sdxl {

struct DownBlockImpl : torch::nn::Module {
  DownBlockImpl(int64_t in_channels, int64_t out_channels, int64_t num_layers, const BlockAttention& attention,
                bool add_downsample, int64_t downsample_padding, const BlockSettings& settings);
  // Appends every resnet(+attention) output and the downsampler output to `skips` (the UNet's skip
  // connections), and records activations as "<name>.resnets.i" etc. when `acts` is set. `additional_residual`,
  // when defined, is added after the last resnet/attention pair, before its skip is taken (diffusers
  // CrossAttnDownBlock2D's additional_residuals: a T2I-Adapter feature).
  at::Tensor forward(at::Tensor x, const at::Tensor& emb_act, const at::Tensor& context, std::vector<at::Tensor>& skips,
                     Activations* acts, const std::string& name, const at::Tensor& additional_residual = {});

  std::vector<ResnetBlock2D> resnet_list;
  std::vector<Transformer2DModel> attention_list;  // empty for DownBlock2D
  Downsample2D downsampler{nullptr};
};
TORCH_MODULE(DownBlock);

}  // namespace sdxl
