#include "vision/clip_vision_config.h"

#include <algorithm>
#include <cmath>

#include "common/config_reader.h"
#include "common/error.h"

namespace sdxl {
namespace {

// The fields a vision tower shares with the text tower's (the block code's) config, as pairs: one list for
// both directions.
template <class V, class T, class F>
void shared_fields(V& vision, T& text, F&& f) {
  f(vision.hidden_size, text.hidden_size);
  f(vision.intermediate_size, text.intermediate_size);
  f(vision.num_hidden_layers, text.num_hidden_layers);
  f(vision.num_attention_heads, text.num_attention_heads);
  f(vision.hidden_act, text.hidden_act);
  f(vision.layer_norm_eps, text.layer_norm_eps);
  f(vision.projection_dim, text.projection_dim);
}

}  // namespace

CLIPVisionConfig CLIPVisionConfig::from_json(const nlohmann::json& json, const std::string& what) {
  CLIPVisionConfig c;
  CLIPTextConfig blocks = c.blocks();  // transformers' CLIPVisionConfig defaults for the shared keys
  const config::Reader r(read_clip_tower(json, "vision_config", what, blocks), what);
  shared_fields(c, blocks, [](auto& v, const auto& t) { v = t; });
  c.num_channels = r.integer("num_channels", c.num_channels);
  c.image_size = r.integer("image_size", c.image_size);
  c.patch_size = r.integer("patch_size", c.patch_size);
  c.validate(what);
  return c;
}

CLIPVisionConfig CLIPVisionConfig::from_shapes(const std::map<std::string, std::vector<int64_t>>& shapes,
                                               const std::string& what) {
  auto shape = [&](const std::string& key, size_t rank) -> const std::vector<int64_t>& {
    auto it = shapes.find(key);
    if (it == shapes.end()) throw Error(ErrorCategory::Input, "image_encoder", what + ": no tensor '" + key + "' (not a CLIP vision model)");
    if (it->second.size() != rank) throw Error(ErrorCategory::Input, "image_encoder", what + ": '" + key + "' has " + std::to_string(it->second.size()) +
                                               " dimensions, expected " + std::to_string(rank));
    return it->second;
  };
  CLIPVisionConfig c;
  const std::string p = "vision_model.";
  c.hidden_size = shape(p + "embeddings.class_embedding", 1)[0];
  const auto& patch = shape(p + "embeddings.patch_embedding.weight", 4);
  c.num_channels = patch[1];
  c.patch_size = patch[2];
  const int64_t positions = shape(p + "embeddings.position_embedding.weight", 2)[0];
  const auto side = static_cast<int64_t>(std::llround(std::sqrt(static_cast<double>(positions - 1))));
  if (side * side + 1 != positions)
    throw Error(ErrorCategory::Input, "image_encoder", what + ": " + std::to_string(positions) + " position embeddings are not a square grid plus the class token");
  c.image_size = side * c.patch_size;
  c.num_hidden_layers = 0;
  while (shapes.count(p + "encoder.layers." + std::to_string(c.num_hidden_layers) + ".layer_norm1.weight"))
    ++c.num_hidden_layers;
  c.intermediate_size = shape(p + "encoder.layers.0.mlp.fc1.weight", 2)[0];
  c.projection_dim = shape("visual_projection.weight", 2)[0];
  switch (c.hidden_size) {
    case 1664: case 1280: c.num_attention_heads = 16; c.hidden_act = ClipActivation::Gelu; break;
    case 1024: c.num_attention_heads = 16; c.hidden_act = ClipActivation::QuickGelu; break;
    case 768: c.num_attention_heads = 12; c.hidden_act = ClipActivation::QuickGelu; break;
    default: c.num_attention_heads = std::max<int64_t>(1, c.hidden_size / 64); c.hidden_act = ClipActivation::Gelu;
  }
  c.validate(what);
  return c;
}

CLIPTextConfig CLIPVisionConfig::blocks() const {
  CLIPTextConfig c;
  shared_fields(*this, c, [](const auto& v, auto& t) { t = v; });
  return c;
}

void CLIPVisionConfig::validate(const std::string& what) const {
  auto positive = [&](const char* key, int64_t v) {
    if (v <= 0) throw Error(ErrorCategory::Input, "image_encoder", what + ": '" + key + "' must be positive, got " + std::to_string(v));
  };
  positive("hidden_size", hidden_size);
  positive("intermediate_size", intermediate_size);
  positive("projection_dim", projection_dim);
  positive("num_hidden_layers", num_hidden_layers);
  positive("num_attention_heads", num_attention_heads);
  positive("num_channels", num_channels);
  positive("image_size", image_size);
  positive("patch_size", patch_size);
  if (image_size % patch_size != 0)
    throw Error(ErrorCategory::Input, "image_encoder", what + ": image_size " + std::to_string(image_size) + " is not a multiple of patch_size " +
                std::to_string(patch_size));
  if (num_hidden_layers < 2)
    throw Error(ErrorCategory::Input, "image_encoder", what + ": image prompts use the penultimate layer, the model has only " +
                std::to_string(num_hidden_layers));
  blocks().validate(what);
}

}  // namespace sdxl
