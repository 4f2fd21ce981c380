// Shared loaders for the text tests: tiny-sdxl encoders and tokenizers, text_golden.json / .safetensors.
#pragma once
#include <nlohmann/json.hpp>

#include "io/atomic_file.h"
#include "io/safetensors.h"
#include "test_util.h"
#include "text/text_conditioner.h"
#include "weights/presets.h"

namespace sdxl::test {

inline const nlohmann::json& text_golden_json() {
  static const nlohmann::json j = nlohmann::json::parse(io::read_file(fixture("text_golden.json")));
  return j;
}

inline const std::map<std::string, at::Tensor>& text_golden() {
  static const auto tensors = load_golden("text_golden.safetensors");
  return tensors;
}

inline const at::Tensor& text_golden(const std::string& name) {
  auto it = text_golden().find(name);
  if (it == text_golden().end()) throw std::runtime_error("text_golden.safetensors has no tensor " + name);
  return it->second;
}

// Weights straight from tiny-sdxl/<folder>/model.safetensors (already canonical HF names).
inline StateDict tiny_text_weights(const std::string& folder) {
  auto file = io::SafetensorsFile::open(fixture("tiny-sdxl/" + folder + "/model.safetensors"));
  StateDict weights;
  for (const auto& t : file->tensors()) weights[t.name] = file->tensor(t.name);
  return weights;
}

inline nlohmann::json tiny_text_config(const std::string& folder) {
  return nlohmann::json::parse(io::read_file(fixture("tiny-sdxl/" + folder + "/config.json")));
}

// The text encoder configs the tests compare against: the tiny fixture's two encoders as their shapes were
// designed (tests/fixtures/tiny-sdxl/text_encoder: 32 wide, 3 layers; text_encoder_2: 48 wide, 4 layers; the
// rest transformers' CLIPTextConfig defaults), and SDXL's (from the presets, weights/presets.h).
inline CLIPTextConfig clip_text_preset(int64_t width, int64_t layers, int64_t heads, ClipActivation act) {
  CLIPTextConfig c;
  c.hidden_size = width;
  c.num_hidden_layers = layers;
  c.num_attention_heads = heads;
  c.intermediate_size = 4 * width;
  c.hidden_act = act;
  c.projection_dim = 32;
  return c;
}
inline CLIPTextConfig tiny_text_encoder_config() { return clip_text_preset(32, 3, 2, ClipActivation::QuickGelu); }
inline CLIPTextConfig tiny_text_encoder_2_config() { return clip_text_preset(48, 4, 3, ClipActivation::Gelu); }
// SDXL text_encoder (OpenAI CLIP ViT-L/14) and text_encoder_2 (OpenCLIP ViT-bigG/14).
inline CLIPTextConfig sdxl_text_encoder_config(const char* component) {
  return CLIPTextConfig::from_json(preset_config("sdxl-base", component), std::string("built-in sdxl-base ") + component + " config");
}

inline TextEncoder tiny_text_encoder(const std::string& folder, const std::string& tokenizer_folder) {
  // SDXL's original code: transformers' CLIPTokenizer for text_encoder, open_clip's for text_encoder_2.
  const auto cleaning = folder == "text_encoder" ? text::ClipCleaning::Transformers : text::ClipCleaning::OpenClip;
  return TextEncoder::from_state_dict(folder, load_tokenizer(fixture("tiny-sdxl/" + tokenizer_folder), cleaning, tiny_context_length()),
                                      tiny_text_weights(folder), tiny_text_config(folder));
}

inline TextConditioner tiny_conditioner(ModelKind kind, bool force_zeros, LongPromptMode long_prompts = LongPromptMode::Truncate,
                                        PromptSyntax syntax = PromptSyntax::None) {
  std::vector<TextEncoder> encoders;
  if (kind == ModelKind::Base) encoders.push_back(tiny_text_encoder("text_encoder", "tokenizer"));
  encoders.push_back(tiny_text_encoder("text_encoder_2", "tokenizer_2"));
  return TextConditioner(std::move(encoders), {kind, force_zeros, long_prompts, syntax});
}

// Float32 golden tolerance. Measured (CPU fp32, 2026-12-07, SDXL_TEST_ERROR_LOG over sdxl_tests_text: 116
// comparisons of every hidden state, context and pooled tensor): worst 2.41e-6 (caps_punct.enc1.last_hidden,
// |x| up to 3.4), median 1.1e-6; bound 2e-5 (8.3x). Was README-text.md's suggested 1e-4.
constexpr double kTextAtol = 2e-5;

}  // namespace sdxl::test
