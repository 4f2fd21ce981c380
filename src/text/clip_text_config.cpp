#include "text/clip_text_config.h"

#include "common/config_reader.h"
#include "common/error.h"

namespace sdxl {

ClipActivation parse_clip_activation(const std::string& name, const std::string& what) {
  if (name == "quick_gelu") return ClipActivation::QuickGelu;
  if (name == "gelu") return ClipActivation::Gelu;
  if (name == "gelu_new" || name == "gelu_pytorch_tanh") return ClipActivation::GeluTanh;
  throw Error(ErrorCategory::Input, "", what + ": unsupported hidden_act '" + name + "' (expected quick_gelu, gelu, gelu_new or gelu_pytorch_tanh)");
}

const nlohmann::json& read_clip_tower(const nlohmann::json& json, const char* tower, const std::string& what,
                                      CLIPTextConfig& c) {
  const nlohmann::json& j = json.is_object() && json.contains(tower) && json[tower].is_object() ? json[tower] : json;
  const config::Reader r(j, what);
  c.hidden_size = r.integer("hidden_size", c.hidden_size);
  c.intermediate_size = r.integer("intermediate_size", c.intermediate_size);
  c.num_hidden_layers = r.integer("num_hidden_layers", c.num_hidden_layers);
  c.num_attention_heads = r.integer("num_attention_heads", c.num_attention_heads);
  c.layer_norm_eps = r.number("layer_norm_eps", c.layer_norm_eps);
  c.projection_dim = r.integer("projection_dim", c.projection_dim);
  if (r.has("hidden_act")) c.hidden_act = parse_clip_activation(r.string("hidden_act"), what);
  return j;
}

CLIPTextConfig CLIPTextConfig::from_json(const nlohmann::json& json, const std::string& what) {
  CLIPTextConfig c;
  const config::Reader r(read_clip_tower(json, "text_config", what, c), what);
  c.max_position_embeddings = r.integer("max_position_embeddings", c.max_position_embeddings);
  c.vocab_size = r.integer("vocab_size", c.vocab_size);
  c.eos_token_id = r.integer("eos_token_id", c.eos_token_id);
  c.validate(what);
  return c;
}

void CLIPTextConfig::validate(const std::string& what) const {
  auto positive = [&](const char* key, int64_t v) {
    if (v <= 0) throw Error(ErrorCategory::Input, "", what + ": '" + key + "' must be positive, got " + std::to_string(v));
  };
  positive("hidden_size", hidden_size);
  positive("num_hidden_layers", num_hidden_layers);
  positive("num_attention_heads", num_attention_heads);
  positive("intermediate_size", intermediate_size);
  positive("max_position_embeddings", max_position_embeddings);
  positive("vocab_size", vocab_size);
  positive("projection_dim", projection_dim);
  if (hidden_size % num_attention_heads != 0)
    throw Error(ErrorCategory::Input, "", what + ": hidden_size " + std::to_string(hidden_size) + " is not divisible by num_attention_heads " +
                std::to_string(num_attention_heads));
  if (!(layer_norm_eps > 0)) throw Error(ErrorCategory::Input, "", what + ": 'layer_norm_eps' must be positive");
}

}  // namespace sdxl
