#include "unet/attention.h"

#include "unet/blocked_attention.h"

namespace sdxl {

at::Tensor multi_head_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, int64_t heads) {
  // Long bf16 self-attention on an AVX-512 CPU: matmul blocks, 1.7-2x the flash kernel's speed there.
  if (blocked_attention_applies(q, k, v)) return blocked_attention(q, k, v, heads);
  const int64_t batch = q.size(0), width = q.size(2), head_dim = width / heads;
  // [B, N, heads*d] -> [B, heads, N, d] views; SDPA's default scale is 1/sqrt(d), as in diffusers.
  auto split = [&](const at::Tensor& t) { return t.view({batch, t.size(1), heads, head_dim}).transpose(1, 2); };
  at::Tensor out = at::scaled_dot_product_attention(split(q), split(k), split(v));
  return out.transpose(1, 2).reshape({batch, q.size(1), width});
}

AttentionImpl::AttentionImpl(int64_t query_dim, int64_t context_dim, int64_t heads, int64_t head_dim,
                             const at::TensorOptions& options)
    : heads_(heads) {
  const int64_t inner = heads * head_dim;
  to_q = register_module("to_q", Linear(query_dim, inner, false, options));
  to_k = register_module("to_k", Linear(context_dim, inner, false, options));
  to_v = register_module("to_v", Linear(context_dim, inner, false, options));
  out = Linear(inner, query_dim, true, options);
  to_out = register_module("to_out", torch::nn::ModuleList(out));
}

at::Tensor AttentionImpl::forward(const at::Tensor& x, const at::Tensor& context) {
  const at::Tensor& kv = context.defined() ? context : x;
  if (image_prompt_terms.empty()) return out(multi_head_attention(to_q(x), to_k(kv), to_v(kv), heads_));
  // Decoupled cross-attention: the same query attends to the text and to each adapter's image tokens
  // separately; hidden = attn(text) + scale * attn(image) for each adapter in turn (diffusers order).
  const at::Tensor q = to_q(x);
  at::Tensor h = multi_head_attention(q, to_k(kv), to_v(kv), heads_);
  for (const auto& term : image_prompt_terms)
    h = h + term.scale * multi_head_attention(q, term.key, term.value, heads_);
  return out(h);
}

}  // namespace sdxl
