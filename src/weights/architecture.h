// The tensors a diffusers model built from a config.json has: canonical names and shapes, derived from
// the block structure of UNet2DConditionModel, AutoencoderKL and CLIPTextModel(WithProjection) (diffusers
// v0.27 / transformers semantics). Used to check checkpoints header-only and to count parameters without
// allocating weights; the name mapper uses the same structure to number the original layout's blocks.
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace sdxl {

using ShapeMap = std::map<std::string, std::vector<int64_t>>;

// Components of an SDXL pipeline, in the order they are reported.
extern const std::vector<std::string> kComponents;  // unet, vae, text_encoder, text_encoder_2

// UNet2DConditionModel block structure. Down level b has `layers[b]` resnets (+ attentions when
// `down_attention[b]`) and a downsampler unless it is the last; up block b (execution order, deepest
// first) has layers[...]+1 resnets and an upsampler unless it is the last.
struct UnetStructure {
  std::vector<int64_t> channels;         // block_out_channels
  std::vector<int64_t> down_layers;      // resnets per down block
  std::vector<bool> down_attention;      // CrossAttnDownBlock2D?
  std::vector<int64_t> down_depth;       // transformer blocks per attention (down level b)
  std::vector<bool> up_attention;        // CrossAttnUpBlock2D? (up block order)
  std::vector<int64_t> up_depth;         // transformer blocks per attention (up block order)
  bool mid_attention = true;             // UNetMidBlock2DCrossAttn (SDXL) vs none
  int64_t mid_depth = 1;
  size_t levels() const { return channels.size(); }
};
UnetStructure unet_structure(const nlohmann::json& config);

// AutoencoderKL: per level resnets (encoder: layers_per_block, decoder: layers_per_block + 1).
struct VaeStructure {
  std::vector<int64_t> channels;  // block_out_channels
  int64_t layers_per_block = 2;
  size_t levels() const { return channels.size(); }
};
VaeStructure vae_structure(const nlohmann::json& config);

// Number of transformer layers of a CLIP text config (num_hidden_layers).
int64_t clip_layers(const nlohmann::json& config);

// Canonical names and shapes of `component` ("unet", "vae", "text_encoder", "text_encoder_2"; the last is
// CLIPTextModelWithProjection, i.e. adds text_projection.weight). Parameters only: the position_ids buffer
// of CLIP is not saved by current transformers and is not expected. Throws sdxl::Error naming the config
// key for configs outside what sdxl-gen builds (e.g. class embeddings, scale-shift resnets).
ShapeMap expected_tensors(const std::string& component, const nlohmann::json& config);

// Sum of the element counts of a shape map.
int64_t count_elements(const ShapeMap& shapes);

}  // namespace sdxl
