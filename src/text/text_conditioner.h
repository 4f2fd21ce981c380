// SDXL text conditioning: prompts -> cross-attention context [B,77,W] and pooled text embedding [B,P],
// following diffusers 0.27.2 StableDiffusionXLPipeline.encode_prompt (tests/fixtures/README-text.md):
//   base    (text_encoder CLIP-L + text_encoder_2 bigG): context = cat(penultimate_1, penultimate_2, dim=-1),
//           pooled = text_encoder_2's projected eos state; prompt_2 = prompt_2 or prompt.
//   refiner (text_encoder_2 only): context = its penultimate; prompt_2 / negative_prompt_2 are ignored.
//   negative: absent + force_zeros_for_empty_prompt -> exact zeros; otherwise negative_prompt or "",
//           negative_prompt_2 = negative_prompt_2 or negative_prompt. An explicit "" is encoded, not zeroed.
// Beyond diffusers: long prompts in 75-token chunks, and the web UI's emphasis syntax (prompt_emphasis.h).
#pragma once
#include <nlohmann/json.hpp>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/model_kind.h"
#include "text/clip_text_model.h"
#include "text/tokenizer.h"
#include "weights/state_dict.h"

namespace sdxl {

enum class LongPromptMode {
  Truncate,  // diffusers: keep the first 75 tokens, report the rest in a warning
  Chunk,     // 75-token chunks, each [bos]+tokens+[eos]+pads, encoded separately and concatenated on the
             // sequence axis; positive and negative padded to the same chunk count with encodings of "";
             // pooled from the first chunk
};

enum class PromptSyntax {
  None,      // the prompt is literal text (diffusers; reproduces the goldens) -- the default
  Emphasis,  // (word), [word], (word:1.3), \( escapes, BREAK (see prompt_emphasis.h)
};

// One text encoder with its tokenizer. `name` ("text_encoder", "text_encoder_2") appears in messages.
struct TextEncoder {
  std::string name;
  std::shared_ptr<const Tokenizer> tokenizer;
  CLIPTextModel model{nullptr};

  // Builds the model from canonical (HF-named) weights and its HF config.json; text_projection is
  // present iff the weights have it.
  static TextEncoder from_state_dict(std::string name, std::shared_ptr<const Tokenizer> tokenizer,
                                     const StateDict& weights, const nlohmann::json& config,
                                     torch::Device device = torch::kCPU, at::ScalarType dtype = at::kFloat);
};

struct PromptEmbeds {
  at::Tensor context;  // [B, 77 * chunks, sum of encoder widths]
  at::Tensor pooled;   // [B, projection_dim]
};

// One row of a batch: the arguments of diffusers' encode_prompt. nullopt = argument not given (None).
struct PromptRequest {
  std::string prompt;
  std::optional<std::string> prompt_2;
  std::optional<std::string> negative_prompt;
  std::optional<std::string> negative_prompt_2;
};

struct EncodedPrompts {
  PromptEmbeds positive, negative;    // negative undefined when not requested
  std::vector<std::string> warnings;  // truncated text, ignored arguments (each distinct message once)
};

struct TextConditionerOptions {
  ModelKind kind = ModelKind::Base;
  bool force_zeros_for_empty_prompt = true;  // diffusers model_index.json: base true, refiner false
  LongPromptMode long_prompts = LongPromptMode::Truncate;
  PromptSyntax syntax = PromptSyntax::None;
};

// Encodes prompts with a cache: each distinct (encoder, 77 token ids) is run through its encoder once.
// Not thread-safe.
class TextConditioner {
 public:
  // Base: {text_encoder, text_encoder_2}; refiner: {text_encoder_2}. The last encoder must have
  // text_projection (it gives the pooled embedding).
  TextConditioner(std::vector<TextEncoder> encoders, TextConditionerOptions options);

  // Rows are independent (a per-row absent negative_prompt gives zeros for that row only).
  EncodedPrompts encode(const std::vector<PromptRequest>& batch, bool with_negative = true);
  EncodedPrompts encode(const PromptRequest& row, bool with_negative = true) {
    return encode(std::vector<PromptRequest>{row}, with_negative);
  }

  // Forgets every cached encoding: needed after the encoders' weights or vocabulary change (LoRA merges,
  // textual-inversion embeddings, adapters/).
  void clear_cache();

  const TextConditionerOptions& options() const { return options_; }
  // The encoders in order (adapters merge into their modules; clear_cache() after changing weights).
  const std::vector<TextEncoder>& encoders() const { return encoders_; }
  std::vector<TextEncoder>& encoders() { return encoders_; }
  // Per-request prompt handling; safe between calls (the cache holds unweighted per-chunk encodings).
  void set_prompt_modes(LongPromptMode long_prompts, PromptSyntax syntax) {
    options_.long_prompts = long_prompts;
    options_.syntax = syntax;
  }

 private:
  struct Chunk {
    TokenizedPrompt tokens;
    std::vector<float> weights;  // per position of tokens.ids77; empty = all 1
  };
  using Chunks = std::vector<Chunk>;
  struct Encoded {
    at::Tensor penultimate;  // [77, W]
    at::Tensor pooled;       // [P], only for the pooled (last) encoder
  };

  Chunks chunks(size_t encoder, const std::string& text, std::vector<std::string>& warnings) const;
  Chunk empty_chunk(size_t encoder) const;
  void run_encoders(const std::vector<std::vector<const Chunk*>>& wanted);
  at::Tensor context_row(const std::vector<Chunks>& per_encoder) const;
  at::Tensor pooled_row(const std::vector<Chunks>& per_encoder) const;

  std::vector<TextEncoder> encoders_;
  TextConditionerOptions options_;
  int64_t context_width_ = 0, pooled_width_ = 0;
  int64_t context_length_ = 0;  // tokens per chunk, the tokenizers' model_max_length (SDXL: 77)
  at::TensorOptions output_options_;
  std::vector<std::map<std::vector<int64_t>, Encoded>> cache_;  // per encoder
};

}  // namespace sdxl
