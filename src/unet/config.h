// Architecture of a diffusers UNet2DConditionModel (v0.27.2 semantics), read from its config.json.
// Every width, depth and head count of the UNet comes from here; nothing is hard-coded per model.
#pragma once
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace sdxl {

struct UNetConfig {
  int64_t in_channels = 4;
  int64_t out_channels = 4;
  std::vector<int64_t> block_out_channels;         // per resolution level, e.g. SDXL [320,640,1280]
  std::vector<std::string> down_block_types;       // "DownBlock2D" | "CrossAttnDownBlock2D", one per level
  std::vector<std::string> up_block_types;         // "UpBlock2D" | "CrossAttnUpBlock2D", execution order (low res first)
  std::vector<int64_t> layers_per_block;           // resnets per down block, per level (up blocks have one more)
  std::vector<int64_t> transformer_layers_per_block;  // per level; the mid block uses the last level's
  // Heads per level. diffusers' config field `attention_head_dim` holds the number of HEADS for SD/SDXL
  // (a historical misnomer; `num_attention_heads` must be null); head width = channels / heads.
  std::vector<int64_t> num_attention_heads;
  int64_t cross_attention_dim = 0;                 // context width (SDXL base 2048, refiner 1280)
  int64_t norm_num_groups = 32;
  double norm_eps = 1e-5;                          // ResnetBlock2D GroupNorms (transformer GroupNorm uses 1e-6)
  bool use_linear_projection = false;              // proj_in/proj_out: Linear (SDXL) or 1x1 conv
  int64_t downsample_padding = 1;
  int64_t conv_in_kernel = 3;
  int64_t conv_out_kernel = 3;
  // Timestep sinusoid (time_proj, add_time_proj).
  bool flip_sin_to_cos = true;
  double freq_shift = 0.0;
  int64_t time_embed_dim = 0;                      // time_embedding_dim, default 4 * block_out_channels[0]
  // text_time addition embedding: add_embedding(cat([pooled, sinusoid(time_ids) each addition_time_embed_dim])).
  int64_t addition_time_embed_dim = 0;
  int64_t projection_class_embeddings_input_dim = 0;

  size_t levels() const { return block_out_channels.size(); }
  bool down_block_has_attention(size_t level) const { return down_block_types.at(level) == "CrossAttnDownBlock2D"; }
  bool up_block_has_attention(size_t i) const { return up_block_types.at(i) == "CrossAttnUpBlock2D"; }
  // Number of time-id values the add_embedding expects next to a pooled vector of width `pooled_dim`.
  int64_t num_time_ids(int64_t pooled_dim) const {
    return (projection_class_embeddings_input_dim - pooled_dim) / addition_time_embed_dim;
  }

  // Reads a diffusers UNet2DConditionModel config.json. Missing optional fields take diffusers' defaults;
  // settings this engine does not implement throw sdxl::Error naming the field and value.
  // `what` names the source in messages.
  static UNetConfig from_json(const nlohmann::json& j, const std::string& what = "unet config");
};

}  // namespace sdxl
