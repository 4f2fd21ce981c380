// Timestep and micro-conditioning embeddings of the SDXL UNet (diffusers Timesteps / TimestepEmbedding).
#pragma once
#include <torch/torch.h>

#include "common/layers.h"
#include "unet/activations.h"
#include "unet/config.h"

namespace sdxl {

// Sinusoidal embedding of scalar values (DDPM "positional" timestep embedding; diffusers
// get_timestep_embedding): f_i = exp(-ln(max_period) * i / (dim/2 - shift)), i < dim/2, and
// out = [sin(t f) | cos(t f)], or [cos | sin] when flip_sin_to_cos (SDXL). Computed in float32 like the
// reference (t.float() * f) whatever t's dtype; odd `dim` gets a zero last column.
// t: [N] (any real or integer dtype, any device) -> float32 [N, dim] on t's device.
at::Tensor timestep_embedding(const at::Tensor& t, int64_t dim, bool flip_sin_to_cos, double shift,
                              double max_period = 10000.0);

// diffusers TimestepEmbedding: linear_2(silu(linear_1(x))). Used for both time_embedding and add_embedding.
struct TimestepEmbeddingImpl : torch::nn::Module {
  TimestepEmbeddingImpl(int64_t in_features, int64_t out_features, const at::TensorOptions& options);
  at::Tensor forward(const at::Tensor& x);

  Linear linear_1{nullptr}, linear_2{nullptr};
};
TORCH_MODULE(TimestepEmbedding);

// emb = time_embedding(time_proj(t)) + add_embedding(cat([text_embeds, add_time_proj(time_ids) flattened])),
// [B, time_embed_dim] in `dtype`: the UNet's and the ControlNet's (same modules, same config fields). `parts`,
// when set, receives t_sinusoid, time_embedding, time_ids_fourier, add_embeds, aug_emb and emb.
at::Tensor text_time_embedding(TimestepEmbedding& time_embedding, TimestepEmbedding& add_embedding, const UNetConfig& c,
                               const at::Tensor& timesteps, const at::Tensor& text_embeds, const at::Tensor& time_ids,
                               at::ScalarType dtype, Activations* parts = nullptr);

}  // namespace sdxl
