// Multi-head attention of the UNet transformer blocks (diffusers Attention with AttnProcessor2_0).
#pragma once
#include <torch/torch.h>

#include "common/layers.h"

namespace sdxl {

// softmax(q k^T / sqrt(d)) v per head, through at::scaled_dot_product_attention (fused kernels; the
// [B*heads, Nq, Nk] score matrix is never built here). q [B, Nq, heads*d], k/v [B, Nk, heads*d] -> [B, Nq, heads*d].
at::Tensor multi_head_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, int64_t heads);

// to_q/to_k/to_v (no bias), to_out.0 (with bias). Self-attention when no context is given (attn1),
// cross-attention over the text context otherwise (attn2, keys/values of width context_dim).
struct AttentionImpl : torch::nn::Module {
  AttentionImpl(int64_t query_dim, int64_t context_dim, int64_t heads, int64_t head_dim,
                const at::TensorOptions& options);
  at::Tensor forward(const at::Tensor& x, const at::Tensor& context = {});

  // IP-Adapter terms (unet/unet_extras.h) of this layer for the UNet call in progress: (scale, keys, values)
  // per adapter, added to the attention output before to_out. Set and cleared by
  // UNet2DConditionModelImpl::forward around one call, so the blocks' signatures stay free of them.
  struct ImagePromptTerm {
    double scale;
    at::Tensor key, value;
  };
  std::vector<ImagePromptTerm> image_prompt_terms;

  Linear to_q{nullptr}, to_k{nullptr}, to_v{nullptr}, out{nullptr};
  torch::nn::ModuleList to_out;  // diffusers [Linear, Dropout]: only the Linear (= `out`) has weights

 private:
  int64_t heads_;
};
TORCH_MODULE(Attention);

}  // namespace sdxl
