// diffusers UNet2DConditionModel (v0.27.2) for SDXL: epsilon prediction from a noisy latent, a timestep,
// the text context and the text_time addition embedding (pooled text embedding + micro-conditioning ids).
// Built from a UNetConfig; parameter names = diffusers state-dict keys; parameters are uninitialised until
// load_state_dict (weights/state_dict.h).
#pragma once
#include <torch/torch.h>

#include "unet/activations.h"
#include "unet/config.h"
#include "unet/down_block.h"
#include "unet/embeddings.h"
#include "common/layers.h"
#include "unet/mid_block.h"
#include "unet/up_block.h"
#include "unet/unet_extras.h"

namespace sdxl {

struct UNet2DConditionModelImpl : torch::nn::Module {
  // options: device and dtype of the parameters (e.g. {kCUDA, kHalf}; the meta device builds a shape-only model).
  explicit UNet2DConditionModelImpl(const UNetConfig& config, const at::TensorOptions& options = {});

  // sample [B, in_channels, h, w]; timesteps [B] or a single value broadcast to B (any numeric dtype);
  // encoder_hidden_states [B, L, cross_attention_dim]; text_embeds (pooled) [B, P]; time_ids [B, n] with
  // P + n * addition_time_embed_dim = projection_class_embeddings_input_dim. Returns eps [B, out_channels, h, w]
  // in the sample's dtype. Inputs must be on the parameters' device and in their dtype (time ids/timesteps in any).
  // `activations`, when set, receives the outputs named like model_golden.json's act.* (conv_in,
  // down_blocks.i[.resnets.j|.attentions.j|.downsamplers.0], mid_block, up_blocks.i[...|.upsamplers.0],
  // conv_norm_out, emb, silu_emb). `extras`, when set, adds control residuals / image-prompt attention
  // (unet/unet_extras.h); the control and image-prompt stages fill it.
  at::Tensor forward(const at::Tensor& sample, const at::Tensor& timesteps, const at::Tensor& encoder_hidden_states,
                     const at::Tensor& text_embeds, const at::Tensor& time_ids, Activations* activations = nullptr,
                     const UNetExtras* extras = nullptr);

  // emb = time_embedding(time_proj(t)) + add_embedding(cat([text_embeds, add_time_proj(time_ids) flattened])),
  // [B, time_embed_dim] in `dtype`. `parts`, when set, receives t_sinusoid, time_embedding, time_ids_fourier,
  // add_embeds, aug_emb and emb.
  at::Tensor embedding(const at::Tensor& timesteps, const at::Tensor& text_embeds, const at::Tensor& time_ids,
                       at::ScalarType dtype, Activations* parts = nullptr);

  const UNetConfig& config() const { return config_; }

  // The cross-attention (attn2) layers in diffusers' attn_processors order: down blocks, then up blocks, then
  // the mid block (diffusers' UNet2DConditionModel registers up_blocks before mid_block). IP-Adapter files
  // number their to_k_ip / to_v_ip weights in this order; UNetExtras::image_prompts is indexed by it.
  std::vector<std::shared_ptr<AttentionImpl>> cross_attention_layers();

  Conv2d conv_in{nullptr}, conv_out{nullptr};
  TimestepEmbedding time_embedding{nullptr}, add_embedding{nullptr};
  std::vector<DownBlock> down_blocks;
  MidBlock mid_block{nullptr};
  std::vector<UpBlock> up_blocks;
  GroupNorm conv_norm_out{nullptr};

 private:
  void check_inputs(const at::Tensor& sample, const at::Tensor& timesteps, const at::Tensor& encoder_hidden_states,
                    const at::Tensor& text_embeds, const at::Tensor& time_ids) const;
  UNetConfig config_;
};
TORCH_MODULE(UNet2DConditionModel);

}  // namespace sdxl
