// Shape and activation of a CLIP vision tower (transformers CLIPVisionConfig, `image_encoder/config.json`),
// or inferred from the tensors of a single file that comes without a config (ComfyUI / open_clip layouts).
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "text/clip_text_config.h"

namespace sdxl {

struct CLIPVisionConfig {
  // transformers' CLIPVisionConfig defaults, used for keys a config.json omits.
  int64_t hidden_size = 768;
  int64_t intermediate_size = 3072;
  int64_t projection_dim = 512;
  int64_t num_hidden_layers = 12;
  int64_t num_attention_heads = 12;
  int64_t num_channels = 3;
  int64_t image_size = 224;
  int64_t patch_size = 32;
  ClipActivation hidden_act = ClipActivation::QuickGelu;
  double layer_norm_eps = 1e-5;

  // A CLIPVisionConfig, or the "vision_config" of a full CLIPConfig. Errors name `what` and the key.
  static CLIPVisionConfig from_json(const nlohmann::json& json, const std::string& what);
  // From the shapes of transformers-named tensors (vision_model.*, visual_projection.weight). The head count
  // and activation are not in the tensors: the known widths take their published values (1664 OpenCLIP
  // ViT-bigG/14, 1280 OpenCLIP ViT-H/14: 16 heads, gelu; 1024 OpenAI ViT-L/14: 16 heads, quick_gelu; 768
  // OpenAI ViT-B: 12 heads, quick_gelu), any other width heads of 64 and gelu (OpenCLIP's defaults).
  static CLIPVisionConfig from_shapes(const std::map<std::string, std::vector<int64_t>>& shapes,
                                      const std::string& what);

  int64_t grid() const { return image_size / patch_size; }
  int64_t tokens() const { return grid() * grid() + 1; }  // the class token, then one per patch
  // The transformer blocks' sizes, for the text encoder's block code (text/clip_text_model.h).
  CLIPTextConfig blocks() const;
  void validate(const std::string& what) const;  // throws sdxl::Error
};

}  // namespace sdxl
