// The image projections of IP-Adapter: encoder output -> image tokens [B, T, cross_attention_dim] for the
// decoupled cross-attention. Module names are the IP-Adapter files' own (`image_proj.` stripped): these modules
// have no diffusers checkpoint layout, every file in circulation uses these names, and diffusers only renames
// them when it loads one (_convert_ip_adapter_image_proj_to_diffusers). Every size comes from the tensors.
#pragma once
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>

#include "adapters/ip_adapter_file.h"
#include "common/layers.h"

namespace sdxl {

// Base adapters (diffusers ImageProjection): proj(image_embeds) as `tokens` rows, then LayerNorm.
struct ImageProjectionImpl : torch::nn::Module {
  ImageProjectionImpl(int64_t image_embed_dim, int64_t cross_attention_dim, int64_t tokens, const at::TensorOptions& options);
  at::Tensor forward(const at::Tensor& image_embeds);  // [B, P] -> [B, tokens, cross]
  Linear proj{nullptr};
  LayerNorm norm{nullptr};
  int64_t tokens;
};
TORCH_MODULE(ImageProjection);

// One perceiver layer of the Plus Resampler (IP-Adapter resampler.py; diffusers IPAdapterPlusImageProjection):
// `0` cross-attention of the learned latents over [image features; latents] (norm1 on the features, norm2 on
// the latents, to_q, fused to_kv, to_out, no biases; heads of 64), `1` LayerNorm + GELU MLP without biases.
struct PerceiverLayerImpl : torch::nn::Module {
  PerceiverLayerImpl(int64_t width, int64_t inner, int64_t ff_inner, const at::TensorOptions& options);
  at::Tensor forward(const at::Tensor& features, const at::Tensor& latents);
  LayerNorm norm1{nullptr}, norm2{nullptr}, ff_norm{nullptr};
  Linear to_q{nullptr}, to_kv{nullptr}, to_out{nullptr}, ff_in{nullptr}, ff_out{nullptr};
  int64_t heads;
};
TORCH_MODULE(PerceiverLayer);

// Plus adapters: latents [1, T, H] attend to proj_in(hidden states) through the layers, then proj_out + norm_out.
struct ResamplerImpl : torch::nn::Module {
  ResamplerImpl(const StateDict& shapes_from, const at::TensorOptions& options, const std::string& what);
  at::Tensor forward(const at::Tensor& hidden_states);  // [B, N, W] -> [B, T, cross]
  at::Tensor latents;
  Linear proj_in{nullptr}, proj_out{nullptr};
  LayerNorm norm_out{nullptr};
  std::vector<PerceiverLayer> perceiver;
};
TORCH_MODULE(Resampler);

// The projection of `adapter`, built from its tensors and loaded strictly, on `options`' device and dtype.
// Returns a module whose forward is ImageProjection's or Resampler's (see project_image()).
std::shared_ptr<torch::nn::Module> load_image_projection(const IpAdapterFile& adapter, const at::TensorOptions& options);
at::Tensor project_image(torch::nn::Module& projection, const at::Tensor& encoder_output);

}  // namespace sdxl
