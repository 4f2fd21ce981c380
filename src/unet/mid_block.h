// diffusers UNetMidBlock2DCrossAttn (one layer): resnets.0 -> attentions.0 -> resnets.1, all at the
// lowest resolution with constant width.
#pragma once
#include <torch/torch.h>

#include "unet/activations.h"
#include "unet/block_settings.h"
#include "unet/resnet.h"
#include "unet/transformer.h"

namespace sdxl {

struct MidBlockImpl : torch::nn::Module {
  MidBlockImpl(int64_t channels, const BlockAttention& attention, const BlockSettings& settings);
  at::Tensor forward(at::Tensor x, const at::Tensor& emb_act, const at::Tensor& context, Activations* acts,
                     const std::string& name);

  ResnetBlock2D resnet_0{nullptr}, resnet_1{nullptr};
  Transformer2DModel attention{nullptr};
};
TORCH_MODULE(MidBlock);

}  // namespace sdxl
