// Settings shared by the UNet's down, mid and up blocks (taken from UNetConfig by the UNet), and the
// attention list that the down and up blocks build alike.
#pragma once
#include <torch/torch.h>

#include <vector>

#include "unet/transformer.h"

namespace sdxl {

struct BlockSettings {
  int64_t temb_channels = 0;         // width of silu(emb) that every resnet receives
  int64_t groups = 32;               // norm_num_groups
  double eps = 1e-5;                 // norm_eps (resnet GroupNorms)
  bool use_linear_projection = true; // transformer proj_in/proj_out kind
  int64_t context_dim = 0;           // cross_attention_dim
  at::TensorOptions options;         // where and in which dtype parameters live
};

// The spatial transformers of a block: none for DownBlock2D/UpBlock2D.
struct BlockAttention {
  bool enabled = false;
  int64_t heads = 1;  // per Transformer2DModel; head width = channels / heads
  int64_t depth = 1;  // transformer_layers_per_block (BasicTransformerBlocks per Transformer2DModel)
};

// Registers `count` Transformer2DModels of width `channels` as the block's "attentions" list and returns
// them; nothing when the block has no attention.
std::vector<Transformer2DModel> register_attentions(torch::nn::Module& block, int64_t count, int64_t channels,
                                                    const BlockAttention& attention, const BlockSettings& settings);

}  // namespace sdxl
