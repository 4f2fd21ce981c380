// The VAE mid-block self-attention (diffusers Attention built from the old LDM AttnBlock):
// GroupNorm -> single head over all C channels (scale 1/sqrt(C)) -> output projection -> + residual.
#pragma once
#include <torch/torch.h>

#include "common/layers.h"

namespace sdxl {

struct VaeAttentionImpl : torch::nn::Module {
  VaeAttentionImpl(int64_t channels, int64_t groups, const at::TensorOptions& options);
  at::Tensor forward(const at::Tensor& x);  // [B,C,H,W] -> [B,C,H,W]

  GroupNorm group_norm{nullptr};
  Linear to_q{nullptr}, to_k{nullptr}, to_v{nullptr};
  torch::nn::ModuleList to_out;  // diffusers: [Linear, Dropout]; only the Linear has weights
};
TORCH_MODULE(VaeAttention);

}  // namespace sdxl
