// diffusers Decoder (AutoencoderKL.decoder): latent [B,latent,h,w] (after post_quant_conv) -> image [B,out,h*f,w*f].
#pragma once
#include <torch/torch.h>

#include "vae/encoder.h"

namespace sdxl {

struct VaeDecoderImpl : torch::nn::Module {
  VaeDecoderImpl(const VaeConfig& config, const at::TensorOptions& options);
  // Records "decoder.conv_in", "decoder.mid_block", "decoder.up_blocks.i" into `acts` when given.
  at::Tensor forward(const at::Tensor& z, VaeActivations* acts = nullptr);

  Conv2d conv_in{nullptr}, conv_out{nullptr};
  VaeMidBlock mid_block{nullptr};
  torch::nn::ModuleList up_blocks;
  GroupNorm conv_norm_out{nullptr};
};
TORCH_MODULE(VaeDecoder);

}  // namespace sdxl
