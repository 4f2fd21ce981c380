#include "text/clip_text_config.h"

#include "common/error.h"

namespace sdxl {
namespace {

template <typename T>
void read(const nlohmann::json& j, const char* key, T& out, const std::string& what) {
  if (!j.contains(key) || j[key].is_null()) return;
  const auto& v = j[key];
  if constexpr (std::is_integral_v<T>) {
    if (!v.is_number_integer()) throw Error(what + ": '" + key + "' must be an integer, got " + v.dump());
  } else {
    if (!v.is_number()) throw Error(what + ": '" + key + "' must be a number, got " + v.dump());
  }
  out = v.get<T>();
}

}  // namespace

ClipActivation parse_clip_activation(const std::string& name, const std::string& what) {
  if (name == "quick_gelu") return ClipActivation::QuickGelu;
  if (name == "gelu") return ClipActivation::Gelu;
  if (name == "gelu_new" || name == "gelu_pytorch_tanh") return ClipActivation::GeluTanh;
  throw Error(what + ": unsupported hidden_act '" + name + "' (expected quick_gelu, gelu, gelu_new or gelu_pytorch_tanh)");
}

CLIPTextConfig CLIPTextConfig::from_json(const nlohmann::json& json, const std::string& what) {
  if (!json.is_object()) throw Error(what + ": expected a JSON object");
  const nlohmann::json& j = json.contains("text_config") && json["text_config"].is_object() ? json["text_config"] : json;
  CLIPTextConfig c;
  read(j, "hidden_size", c.hidden_size, what);
  read(j, "num_hidden_layers", c.num_hidden_layers, what);
  read(j, "num_attention_heads", c.num_attention_heads, what);
  read(j, "intermediate_size", c.intermediate_size, what);
  read(j, "layer_norm_eps", c.layer_norm_eps, what);
  read(j, "max_position_embeddings", c.max_position_embeddings, what);
  read(j, "vocab_size", c.vocab_size, what);
  read(j, "projection_dim", c.projection_dim, what);
  read(j, "eos_token_id", c.eos_token_id, what);
  if (j.contains("hidden_act")) {
    if (!j["hidden_act"].is_string()) throw Error(what + ": 'hidden_act' must be a string");
    c.hidden_act = parse_clip_activation(j["hidden_act"].get<std::string>(), what);
  }
  c.validate(what);
  return c;
}

void CLIPTextConfig::validate(const std::string& what) const {
  auto positive = [&](const char* key, int64_t v) {
    if (v <= 0) throw Error(what + ": '" + key + "' must be positive, got " + std::to_string(v));
  };
  positive("hidden_size", hidden_size);
  positive("num_hidden_layers", num_hidden_layers);
  positive("num_attention_heads", num_attention_heads);
  positive("intermediate_size", intermediate_size);
  positive("max_position_embeddings", max_position_embeddings);
  positive("vocab_size", vocab_size);
  positive("projection_dim", projection_dim);
  if (hidden_size % num_attention_heads != 0)
    throw Error(what + ": hidden_size " + std::to_string(hidden_size) + " is not divisible by num_attention_heads " +
                std::to_string(num_attention_heads));
  if (!(layer_norm_eps > 0)) throw Error(what + ": 'layer_norm_eps' must be positive");
}

namespace {

CLIPTextConfig preset(int64_t width, int64_t layers, int64_t heads, ClipActivation act, int64_t projection_dim) {
  CLIPTextConfig c;
  c.hidden_size = width;
  c.num_hidden_layers = layers;
  c.num_attention_heads = heads;
  c.intermediate_size = 4 * width;
  c.hidden_act = act;
  c.projection_dim = projection_dim;
  return c;  // layer_norm_eps 1e-5, 77 positions, 49408 tokens: the defaults
}

}  // namespace

CLIPTextConfig CLIPTextConfig::clip_vit_l14() { return preset(768, 12, 12, ClipActivation::QuickGelu, 768); }
CLIPTextConfig CLIPTextConfig::openclip_bigg14() { return preset(1280, 32, 20, ClipActivation::Gelu, 1280); }
CLIPTextConfig CLIPTextConfig::tiny_text_encoder() { return preset(32, 3, 2, ClipActivation::QuickGelu, 32); }
CLIPTextConfig CLIPTextConfig::tiny_text_encoder_2() { return preset(48, 4, 3, ClipActivation::Gelu, 32); }

}  // namespace sdxl
