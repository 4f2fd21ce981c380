// Tokenizer for text encoders that ship a SentencePiece `tokenizer.model` instead of CLIP's BPE files.
#pragma once
#include <memory>
#include <string>

#include "text/tokenizer.h"

namespace sdxl {

// Available when built with SentencePiece (SDXL_HAVE_SENTENCEPIECE); otherwise load() throws sdxl::Error.
class SentencePieceTokenizer : public Tokenizer {
 public:
  // `pad_token`: the piece to pad with ("" = the model's pad id, else its eos).
  static std::shared_ptr<const SentencePieceTokenizer> load(const std::string& model_path, int context_length,
                                                            const std::string& pad_token = "");
  ~SentencePieceTokenizer() override;

  std::vector<int> encode(const std::string& utf8) const override;
  std::string decode(const std::vector<int>& ids) const override;
  int bos_id() const override;
  int eos_id() const override;
  std::string describe() const override { return "SentencePiece " + path_; }

 private:
  struct Impl;
  SentencePieceTokenizer(std::unique_ptr<Impl> impl, std::string path, int pad_id, int context_length);
  std::unique_ptr<Impl> impl_;
  std::string path_;
};

}  // namespace sdxl
