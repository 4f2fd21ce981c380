#include "text/sentencepiece_tokenizer.h"

#include "common/error.h"
#include "text/unicode.h"

#ifdef SDXL_HAVE_SENTENCEPIECE
#include <sentencepiece_processor.h>
#endif

namespace sdxl {

#ifdef SDXL_HAVE_SENTENCEPIECE

struct SentencePieceTokenizer::Impl {
  sentencepiece::SentencePieceProcessor processor;
};

std::shared_ptr<const SentencePieceTokenizer> SentencePieceTokenizer::load(const std::string& model_path,
                                                                           int context_length,
                                                                           const std::string& pad_token) {
  auto impl = std::make_unique<Impl>();
  const auto status = impl->processor.Load(model_path);
  if (!status.ok()) throw Error(ErrorCategory::Input, "", model_path + ": cannot load SentencePiece model: " + status.ToString());
  int pad = impl->processor.pad_id();
  if (!pad_token.empty()) {
    pad = impl->processor.PieceToId(pad_token);
    if (pad == impl->processor.unk_id() && pad_token != impl->processor.IdToPiece(pad))
      throw Error(ErrorCategory::Input, "", model_path + ": pad token '" + pad_token + "' is not in the vocabulary");
  }
  if (pad < 0) pad = impl->processor.eos_id();
  if (pad < 0) throw Error(ErrorCategory::Input, "", model_path + ": the SentencePiece model has neither a pad nor an eos piece");
  return std::shared_ptr<const SentencePieceTokenizer>(
      new SentencePieceTokenizer(std::move(impl), model_path, pad, context_length));
}

std::vector<int> SentencePieceTokenizer::encode(const std::string& utf8) const {
  text::utf8_to_u32(utf8, "prompt");  // same contract as CLIP BPE: invalid UTF-8 is an error
  std::vector<int> ids;
  const auto status = impl_->processor.Encode(utf8, &ids);
  if (!status.ok()) throw Error(ErrorCategory::Input, "", path_ + ": SentencePiece encode failed: " + status.ToString());
  return ids;
}

std::string SentencePieceTokenizer::decode(const std::vector<int>& ids) const {
  std::string text;
  const auto status = impl_->processor.Decode(ids, &text);
  if (!status.ok()) throw Error(ErrorCategory::Input, "", path_ + ": SentencePiece decode failed: " + status.ToString());
  return text;
}

int SentencePieceTokenizer::bos_id() const { return impl_->processor.bos_id(); }
int SentencePieceTokenizer::eos_id() const { return impl_->processor.eos_id(); }

#else  // built without SentencePiece

struct SentencePieceTokenizer::Impl {};

std::shared_ptr<const SentencePieceTokenizer> SentencePieceTokenizer::load(const std::string& model_path, int,
                                                                           const std::string&) {
  throw Error(ErrorCategory::Input, "", model_path + ": this build of sdxl-gen has no SentencePiece support (install libsentencepiece-dev "
              "and reconfigure)");
}
std::vector<int> SentencePieceTokenizer::encode(const std::string&) const { return {}; }
std::string SentencePieceTokenizer::decode(const std::vector<int>&) const { return {}; }
int SentencePieceTokenizer::bos_id() const { return -1; }
int SentencePieceTokenizer::eos_id() const { return -1; }

#endif

SentencePieceTokenizer::SentencePieceTokenizer(std::unique_ptr<Impl> impl, std::string path, int pad_id,
                                               int context_length)
    : Tokenizer(pad_id, context_length), impl_(std::move(impl)), path_(std::move(path)) {}

SentencePieceTokenizer::~SentencePieceTokenizer() = default;

}  // namespace sdxl
