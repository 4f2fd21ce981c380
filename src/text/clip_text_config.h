// Shape and activation of a CLIP text transformer, filled from a Hugging Face CLIPTextConfig
// (`text_encoder/config.json`). Whether the model has `text_projection` is decided by the weights /
// caller (SDXL text_encoder_2 is a CLIPTextModelWithProjection), not by this config.
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace sdxl {

enum class ClipActivation {
  QuickGelu,  // "quick_gelu": x * sigmoid(1.702 x) (OpenAI CLIP)
  Gelu,       // "gelu": exact 0.5 x (1 + erf(x / sqrt 2)) (OpenCLIP bigG)
  GeluTanh,   // "gelu_new" / "gelu_pytorch_tanh": tanh approximation
};

struct CLIPTextConfig {
  // Defaults are transformers' CLIPTextConfig defaults, used for keys a config.json omits.
  int64_t hidden_size = 512;
  int64_t num_hidden_layers = 12;
  int64_t num_attention_heads = 8;
  int64_t intermediate_size = 2048;
  ClipActivation hidden_act = ClipActivation::QuickGelu;
  double layer_norm_eps = 1e-5;
  int64_t max_position_embeddings = 77;
  int64_t vocab_size = 49408;
  int64_t projection_dim = 512;
  // transformers CLIPTextTransformer pools at argmax(input_ids) when this is 2 (legacy configs, SDXL 1.0's),
  // else at the first eos id. The same position unless ids beyond the eos exist (textual inversion).
  int64_t eos_token_id = 2;

  // Reads a CLIPTextConfig (or the "text_config" of a full CLIPConfig). Throws sdxl::Error naming `what`
  // and the key for wrong types, unknown activations and inconsistent shapes.
  static CLIPTextConfig from_json(const nlohmann::json& json, const std::string& what = "text encoder config");


  int64_t head_dim() const { return hidden_size / num_attention_heads; }
  void validate(const std::string& what) const;  // throws sdxl::Error
};

ClipActivation parse_clip_activation(const std::string& name, const std::string& what);

// The one reader of the keys both towers of a CLIP model configure alike (transformers' CLIPTextConfig and
// CLIPVisionConfig): hidden_size, intermediate_size, num_hidden_layers, num_attention_heads, hidden_act,
// layer_norm_eps, projection_dim, read into `c` (absent keys keep c's values). In a full CLIPConfig the tower's
// keys are under `tower` ("text_config" / "vision_config"): returns the JSON they were read from, for the keys
// only one tower has.
const nlohmann::json& read_clip_tower(const nlohmann::json& json, const char* tower, const std::string& what,
                                      CLIPTextConfig& c);

}  // namespace sdxl
