// diffusers ControlNetModel (v0.27.2) for SDXL: a copy of the UNet's encoder (conv_in, time/add embeddings,
// down blocks, mid block) that also sees a control image through controlnet_cond_embedding, and returns one
// residual per UNet skip connection (controlnet_down_blocks.N, 1x1 convs) and one for the mid block
// (controlnet_mid_block). Parameter names = diffusers state-dict keys; built from a ControlNetConfig.
#pragma once
#include <torch/torch.h>

#include "common/layers.h"
#include "unet/config.h"
#include "unet/down_block.h"
#include "unet/embeddings.h"
#include "unet/mid_block.h"

namespace sdxl {

struct ControlNetConfig {
  UNetConfig unet;  // the encoder's architecture (up-block fields unused)
  int64_t conditioning_channels = 3;
  std::vector<int64_t> conditioning_embedding_out_channels{16, 32, 96, 256};
  bool global_pool_conditions = false;  // "shuffle"-style models: residuals averaged over space, guess mode on

  // A diffusers ControlNetModel config.json (UNet fields plus the conditioning ones). Settings this engine
  // does not implement (bgr channel order, class embeddings, ...) throw sdxl::Error naming the field.
  static ControlNetConfig from_json(const nlohmann::json& j, const std::string& what = "controlnet config");
};

// The control image's encoder: conv_in, SiLU, (conv, SiLU, conv stride 2, SiLU) per step, conv_out, taking
// [B, 3, H, W] in [0, 1] to the latent size and the UNet's first width.
struct ControlNetConditioningEmbeddingImpl : torch::nn::Module {
  ControlNetConditioningEmbeddingImpl(int64_t embedding_channels, int64_t conditioning_channels,
                                      const std::vector<int64_t>& block_out_channels, const at::TensorOptions& options);
  at::Tensor forward(const at::Tensor& conditioning);

  Conv2d conv_in{nullptr}, conv_out{nullptr};
  std::vector<Conv2d> blocks;
};
TORCH_MODULE(ControlNetConditioningEmbedding);

struct ControlNetOutput {
  std::vector<at::Tensor> down;  // one per UNet skip connection, conv_in first
  at::Tensor mid;
};

struct ControlNetModelImpl : torch::nn::Module {
  explicit ControlNetModelImpl(const ControlNetConfig& config, const at::TensorOptions& options = {});

  // Inputs as the UNet's (unet/unet.h) plus `cond`, the control image [B, 3, H, W] in [0, 1] at 8x the latent
  // size. Residuals are multiplied by `scale`; guess mode weights them logspace(-1, 0, n+1) x scale from the
  // shallowest to the mid block (diffusers ControlNetModel.forward). global_pool_conditions averages them.
  ControlNetOutput forward(const at::Tensor& sample, const at::Tensor& timesteps, const at::Tensor& encoder_hidden_states,
                           const at::Tensor& text_embeds, const at::Tensor& time_ids, const at::Tensor& cond,
                           double scale, bool guess_mode);

  const ControlNetConfig& config() const { return config_; }

  Conv2d conv_in{nullptr};
  TimestepEmbedding time_embedding{nullptr}, add_embedding{nullptr};
  ControlNetConditioningEmbedding controlnet_cond_embedding{nullptr};
  std::vector<DownBlock> down_blocks;
  MidBlock mid_block{nullptr};
  std::vector<Conv2d> controlnet_down_blocks;
  Conv2d controlnet_mid_block{nullptr};

 private:
  ControlNetConfig config_;
};
TORCH_MODULE(ControlNetModel);

}  // namespace sdxl
