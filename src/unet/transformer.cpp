#include "unet/transformer.h"

namespace sdxl {

constexpr double kTransformerGroupNormEps = 1e-6;
constexpr double kLayerNormEps = 1e-5;
constexpr int64_t kFeedForwardMult = 4;

GegluImpl::GegluImpl(int64_t dim, int64_t inner, const at::TensorOptions& options) {
  proj = register_module("proj", Linear(dim, 2 * inner, true, options));
}

at::Tensor GegluImpl::forward(const at::Tensor& x) {
  auto parts = proj(x).chunk(2, -1);
  return at::gelu(parts[1]).mul_(parts[0]);
}

FeedForwardImpl::FeedForwardImpl(int64_t dim, const at::TensorOptions& options) {
  const int64_t inner = kFeedForwardMult * dim;
  geglu = Geglu(dim, inner, options);
  out = Linear(inner, dim, true, options);
  // The Identity stands in diffusers' Dropout slot (no weights, identity at inference) to keep "net.2".
  net = register_module("net", torch::nn::ModuleList(geglu, torch::nn::Identity(), out));
}

BasicTransformerBlockImpl::BasicTransformerBlockImpl(int64_t dim, int64_t heads, int64_t context_dim,
                                                     const at::TensorOptions& options) {
  const int64_t head_dim = dim / heads;
  norm1 = register_module("norm1", LayerNorm(dim, kLayerNormEps, options));
  attn1 = register_module("attn1", Attention(dim, dim, heads, head_dim, options));
  norm2 = register_module("norm2", LayerNorm(dim, kLayerNormEps, options));
  attn2 = register_module("attn2", Attention(dim, context_dim, heads, head_dim, options));
  norm3 = register_module("norm3", LayerNorm(dim, kLayerNormEps, options));
  ff = register_module("ff", FeedForward(dim, options));
}

at::Tensor BasicTransformerBlockImpl::forward(at::Tensor x, const at::Tensor& context) {
  x = attn1(norm1(x)).add_(x);
  x = attn2(norm2(x), context).add_(x);
  return ff(norm3(x)).add_(x);
}

Transformer2DModelImpl::Transformer2DModelImpl(int64_t channels, int64_t heads, int64_t depth, int64_t context_dim,
                                               int64_t groups, bool use_linear_projection,
                                               const at::TensorOptions& options) {
  norm = register_module("norm", GroupNorm(groups, channels, kTransformerGroupNormEps, options));
  if (use_linear_projection)
    proj_in_linear = register_module("proj_in", Linear(channels, channels, true, options));
  else
    proj_in_conv = register_module("proj_in", Conv2d(channels, channels, 1, 1, 0, options));
  transformer_blocks = register_module("transformer_blocks", torch::nn::ModuleList());
  for (int64_t i = 0; i < depth; ++i) {
    blocks.emplace_back(channels, heads, context_dim, options);
    transformer_blocks->push_back(blocks.back());
  }
  if (use_linear_projection)
    proj_out_linear = register_module("proj_out", Linear(channels, channels, true, options));
  else
    proj_out_conv = register_module("proj_out", Conv2d(channels, channels, 1, 1, 0, options));
}

at::Tensor Transformer2DModelImpl::forward(const at::Tensor& x, const at::Tensor& context) {
  const int64_t b = x.size(0), h = x.size(2), w = x.size(3);
  at::Tensor y = norm(x);
  if (proj_in_conv) y = proj_in_conv(y);
  const int64_t c = y.size(1);
  y = y.permute({0, 2, 3, 1}).reshape({b, h * w, c});  // pixels become tokens
  if (proj_in_linear) y = proj_in_linear(y);
  for (auto& block : blocks) y = block(y, context);
  if (proj_out_linear) y = proj_out_linear(y);
  // Back to the input's layout: one copy for NCHW, none for channels-last (the permuted view is NHWC).
  y = y.reshape({b, h, w, c}).permute({0, 3, 1, 2}).contiguous(x.suggest_memory_format());
  if (proj_out_conv) y = proj_out_conv(y);
  return y.add_(x);  // residual
}

}  // namespace sdxl
