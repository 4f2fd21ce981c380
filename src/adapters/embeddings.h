// SDXL textual-inversion embeddings, as the web UIs use them: every DIR/**/NAME.safetensors holding `clip_l`
// [n, CLIP-L width] and `clip_g` [n, bigG width] makes the prompt word NAME stand for its n vectors in each
// encoder (positive and negative prompts alike). The vectors become new rows of each encoder's token
// embedding after its vocabulary, and NAME new token ids, so token counting, 75-token chunks and emphasis
// treat them as the n tokens they are (diffusers load_textual_inversion semantics: NAME, NAME_1, ...).
#pragma once
#include <ATen/ATen.h>

#include <memory>
#include <string>
#include <vector>

#include "sdxl/request.h"
#include "text/text_conditioner.h"
#include "text/tokenizer.h"

namespace sdxl {

struct TextualInversion {
  std::string name, path;
  std::string sha256;         // of the whole file (recorded in PNG metadata)
  at::Tensor clip_l, clip_g;  // [n, width] float32 (CPU)
};

// Every embedding file under `dir` (recursively), sorted by name; .safetensors files with neither clip_l nor
// clip_g (a LoRA in the same folder) are not embeddings and are passed over (their paths go to `skipped`).
// Throws sdxl::Error naming the file when one is unreadable, has only one of clip_l / clip_g, or a shape that
// is not [n, width]; or when two files share a name.
std::vector<TextualInversion> load_embeddings(const std::string& dir, std::vector<std::string>* skipped = nullptr);

// The embeddings whose NAME appears as a whole word (as the tokenizer below finds it) in any of `texts`, in
// `embeddings` order: what a request's prompts actually use, for its metadata.
std::vector<EmbeddingUse> embeddings_used(const std::vector<TextualInversion>& embeddings,
                                          const std::vector<std::string>& texts);

// A tokenizer that knows embedding names: a whole word equal to a NAME (ASCII case-insensitive, as CLIP
// lowercases prompts) becomes its n ids; the rest of the text goes to `base` unchanged.
class EmbeddingTokenizer : public Tokenizer {
 public:
  struct Entry {
    std::string name;
    int first_id = 0, count = 0;
  };
  EmbeddingTokenizer(std::shared_ptr<const Tokenizer> base, std::vector<Entry> entries);
  std::vector<int> encode(const std::string& utf8) const override;
  std::string decode(const std::vector<int>& ids) const override;
  int bos_id() const override { return base_->bos_id(); }
  int eos_id() const override { return base_->eos_id(); }
  std::string describe() const override { return base_->describe() + " + " + std::to_string(entries_.size()) + " embeddings"; }

 private:
  std::shared_ptr<const Tokenizer> base_;
  std::vector<Entry> entries_;  // longest name first
};

// Gives every encoder of `text` the embeddings (CLIP-L: clip_l, bigG: clip_g, told apart by width), once:
// an encoder whose tokenizer is already an EmbeddingTokenizer is left alone. Clears the encoding cache.
// Throws sdxl::Error naming the file whose vectors do not fit an encoder's width.
void add_embeddings(TextConditioner& text, const std::vector<TextualInversion>& embeddings);

}  // namespace sdxl
