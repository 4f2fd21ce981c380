// Text -> token ids for the CLIP text encoders: the tokenizer interface, the fixed-length model input,
// and the factory that picks CLIP BPE (vocab.json + merges.txt) or SentencePiece (tokenizer.model).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "text/clip_text_cleaning.h"

namespace sdxl {

// One encoder's input for one prompt (or one chunk of a long prompt).
struct TokenizedPrompt {
  std::vector<int64_t> ids77;  // [bos] + ids + [eos], right-padded to the context length (SDXL: 77) with the pad id
  int length = 0;              // prompt tokens kept (SDXL: <= 75); the eos sits at index length + 1
  std::string dropped;         // decoded text of the tokens cut off by truncation ("" when none)
};

class Tokenizer {
 public:
  // `context_length`: the model input's fixed length, transformers' `tokenizer.model_max_length`, which
  // diffusers pads and truncates every prompt to (SDXL: 77 = bos + 75 tokens + eos).
  Tokenizer(int pad_id, int context_length) : pad_id_(pad_id), context_length_(context_length) {}
  virtual ~Tokenizer() = default;

  // Raw token ids of `utf8` (no bos/eos, no truncation). Throws sdxl::Error on invalid UTF-8.
  virtual std::vector<int> encode(const std::string& utf8) const = 0;
  // Text of `ids` (CLIP: byte-level symbols joined, "</w>" -> " ", trimmed).
  virtual std::string decode(const std::vector<int>& ids) const = 0;
  virtual int bos_id() const = 0;  // < 0: the vocabulary has none and no bos is written
  virtual int eos_id() const = 0;
  int pad_id() const { return pad_id_; }
  int context_length() const { return context_length_; }
  // Where the vocabulary came from, for messages.
  virtual std::string describe() const = 0;

  // [bos] + ids[:context_length-2] + [eos] + pads; `dropped` = decode(the cut-off ids).
  TokenizedPrompt model_input(const std::vector<int>& ids) const;
  TokenizedPrompt tokenize(const std::string& utf8) const { return model_input(encode(utf8)); }

 private:
  int pad_id_;
  int context_length_;
};

// Loads the tokenizer in a diffusers `tokenizer/` folder: SentencePiece when it holds `tokenizer.model`,
// else CLIP BPE from `vocab.json` + `merges.txt`. The pad id comes from `special_tokens_map.json` or
// `tokenizer_config.json` (`pad_token`; SDXL: tokenizer `<|endoftext|>` = 49407, tokenizer_2 `!` = 0),
// defaulting to the eos. The context length is `model_max_length` of `tokenizer_config.json` (what
// transformers and so diffusers use), else `default_context_length` (callers pass the text encoder's
// `max_position_embeddings`). A CLIP BPE tokenizer cleans text like the reference tokenizer of `cleaning`
// (text_encoder: Transformers, text_encoder_2: OpenClip). Vocabularies already loaded by this process are shared.
std::shared_ptr<const Tokenizer> load_tokenizer(const std::string& dir, text::ClipCleaning cleaning,
                                                int default_context_length);

// CLIP's own vocab.json/merges.txt shipped with sdxl-gen (for single-file checkpoints, which carry no
// tokenizer), with the given pad id, context length (the text encoder's `max_position_embeddings`) and
// cleaning (SDXL text_encoder: 49407, Transformers; text_encoder_2: 0, OpenClip).
std::shared_ptr<const Tokenizer> bundled_clip_tokenizer(int pad_id, int context_length, text::ClipCleaning cleaning);

// The folder holding the bundled vocab.json + merges.txt: the first that exists of
// $SDXL_CLIP_DIR, <exe dir>/../share/sdxl-gen/clip (an install), <exe dir>/data/clip (the build folder: the
// build copies data/clip there), ./data/clip. Throws sdxl::Error listing the places looked at.
std::string bundled_clip_dir();

}  // namespace sdxl
