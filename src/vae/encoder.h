// diffusers Encoder (AutoencoderKL.encoder): image [B,in,H,W] -> moments [B,2*latent,H/f,W/f] (before quant_conv).
#pragma once
#include <torch/torch.h>

#include <map>
#include <string>

#include "vae/blocks.h"
#include "vae/vae_config.h"

namespace sdxl {

// Optional sink for intermediate outputs, keyed by diffusers module path (e.g. "encoder.down_blocks.0").
using VaeActivations = std::map<std::string, at::Tensor>;

struct VaeEncoderImpl : torch::nn::Module {
  VaeEncoderImpl(const VaeConfig& config, const at::TensorOptions& options);
  // Records "encoder.down_blocks.i", "encoder.mid_block", "encoder.conv_out" into `acts` when given.
  at::Tensor forward(const at::Tensor& image, VaeActivations* acts = nullptr);

  Conv2d conv_in{nullptr}, conv_out{nullptr};
  torch::nn::ModuleList down_blocks;
  VaeMidBlock mid_block{nullptr};
  GroupNorm conv_norm_out{nullptr};
};
TORCH_MODULE(VaeEncoder);

}  // namespace sdxl
