#include "vae/attention.h"

#include "vae/resnet.h"

namespace sdxl {

VaeAttentionImpl::VaeAttentionImpl(int64_t channels, int64_t groups, const at::TensorOptions& options) {
  group_norm = register_module("group_norm", vae_group_norm(groups, channels, options));
  to_q = register_module("to_q", Linear(channels, channels, true, options));
  to_k = register_module("to_k", Linear(channels, channels, true, options));
  to_v = register_module("to_v", Linear(channels, channels, true, options));
  to_out = register_module("to_out", torch::nn::ModuleList(Linear(channels, channels, true, options)));
}

at::Tensor VaeAttentionImpl::forward(const at::Tensor& x) {
  const auto b = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  // Tokens are pixels: [B, H*W, C], one head of width C (diffusers heads = C / attention_head_dim = 1).
  at::Tensor tokens = group_norm(x).reshape({b, c, h * w}).transpose(1, 2);
  at::Tensor q = to_q(tokens).unsqueeze(1), k = to_k(tokens).unsqueeze(1), v = to_v(tokens).unsqueeze(1);
  // Default SDPA scale is 1/sqrt(head_dim) = 1/sqrt(C), as in diffusers.
  at::Tensor out = at::scaled_dot_product_attention(q, k, v).squeeze(1);
  out = to_out[0]->as<Linear>()->forward(out);
  return out.transpose(1, 2).reshape({b, c, h, w}) + x;
}

}  // namespace sdxl
