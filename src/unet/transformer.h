// diffusers Transformer2DModel (continuous input) with BasicTransformerBlock and the GEGLU feed-forward:
// the spatial transformer of the SDXL UNet's cross-attention blocks.
#pragma once
#include <torch/torch.h>

#include "unet/attention.h"
#include "common/layers.h"

namespace sdxl {

// GEGLU (Shazeer 2020): proj to 2*inner, split [hidden | gate], hidden * gelu(gate) (exact erf GELU).
struct GegluImpl : torch::nn::Module {
  GegluImpl(int64_t dim, int64_t inner, const at::TensorOptions& options);
  at::Tensor forward(const at::Tensor& x);
  Linear proj{nullptr};
};
TORCH_MODULE(Geglu);

// diffusers FeedForward(activation "geglu", mult 4): net.0 = GEGLU, net.1 = Dropout, net.2 = Linear(inner, dim).
struct FeedForwardImpl : torch::nn::Module {
  FeedForwardImpl(int64_t dim, const at::TensorOptions& options);
  at::Tensor forward(const at::Tensor& x) { return out(geglu(x)); }
  Geglu geglu{nullptr};
  Linear out{nullptr};
  torch::nn::ModuleList net;
};
TORCH_MODULE(FeedForward);

// Pre-LayerNorm block: x += attn1(norm1(x)); x += attn2(norm2(x), context); x += ff(norm3(x)).
// LayerNorm eps 1e-5 (diffusers norm_eps default).
struct BasicTransformerBlockImpl : torch::nn::Module {
  BasicTransformerBlockImpl(int64_t dim, int64_t heads, int64_t context_dim, const at::TensorOptions& options);
  at::Tensor forward(at::Tensor x, const at::Tensor& context);

  LayerNorm norm1{nullptr}, norm2{nullptr}, norm3{nullptr};
  Attention attn1{nullptr}, attn2{nullptr};
  FeedForward ff{nullptr};
};
TORCH_MODULE(BasicTransformerBlock);

// out = x + proj_out(blocks(proj_in(GroupNorm(x) as tokens [B, H*W, C]))) back in [B, C, H, W].
// GroupNorm eps 1e-6 (diffusers Transformer2DModel). proj_in/proj_out are Linear [C, C] when
// use_linear_projection (SDXL), else 1x1 convolutions applied before/after the token reshape.
struct Transformer2DModelImpl : torch::nn::Module {
  Transformer2DModelImpl(int64_t channels, int64_t heads, int64_t depth, int64_t context_dim, int64_t groups,
                         bool use_linear_projection, const at::TensorOptions& options);
  at::Tensor forward(const at::Tensor& x, const at::Tensor& context);

  GroupNorm norm{nullptr};
  Linear proj_in_linear{nullptr}, proj_out_linear{nullptr};  // registered as proj_in/proj_out, or
  Conv2d proj_in_conv{nullptr}, proj_out_conv{nullptr};      // these (use_linear_projection false)
  torch::nn::ModuleList transformer_blocks;
  std::vector<BasicTransformerBlock> blocks;
};
TORCH_MODULE(Transformer2DModel);

}  // namespace sdxl
