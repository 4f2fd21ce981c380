// Fuzz target: the CLIP BPE tokenizer (src/text/tokenizer.h) on arbitrary bytes as a prompt, with each
// cleaning (text_encoder: transformers + ftfy, text_encoder_2: open_clip).
// Valid UTF-8 must tokenize; invalid UTF-8 must be an sdxl::Error. An accepted prompt gives 77 ids in
// the vocabulary, [bos] + kept ids + [eos] + pads, and its ids decode to valid UTF-8.
#include <cstdint>
#include <string>

#include "common/error.h"
#include "fuzz_util.h"
#include "io/utf8.h"
#include "text/clip_bpe_tokenizer.h"
#include "text/tokenizer.h"

namespace {

void check(const std::shared_ptr<const sdxl::Tokenizer>& tokenizer, const std::string& prompt) {
  const auto& vocab = static_cast<const sdxl::ClipBpeTokenizer&>(*tokenizer).vocabulary();
  const bool valid = sdxl::io::is_valid_utf8(prompt);
  std::vector<int> ids;
  try {
    ids = tokenizer->encode(prompt);
  } catch (const sdxl::Error& e) {
    FUZZ_CHECK(!valid, std::string("valid UTF-8 rejected: ") + e.what());
    return;
  }
  FUZZ_CHECK(valid, "invalid UTF-8 accepted");
  for (int id : ids) FUZZ_CHECK(id >= 0 && size_t(id) < vocab.size(), std::to_string(id));

  const sdxl::TokenizedPrompt input = tokenizer->model_input(ids);
  FUZZ_CHECK(input.ids77.size() == size_t(tokenizer->context_length()), "77 ids");
  FUZZ_CHECK(input.length >= 0 && input.length <= tokenizer->context_length() - 2, "length");
  FUZZ_CHECK(size_t(input.length) == std::min<size_t>(ids.size(), 75), "length");
  FUZZ_CHECK(input.ids77[0] == tokenizer->bos_id(), "bos");
  FUZZ_CHECK(input.ids77[size_t(input.length) + 1] == tokenizer->eos_id(), "eos");
  for (size_t i = 0; i < size_t(input.length); ++i) FUZZ_CHECK(input.ids77[i + 1] == ids[i], "kept ids");
  for (size_t i = size_t(input.length) + 2; i < input.ids77.size(); ++i)
    FUZZ_CHECK(input.ids77[i] == tokenizer->pad_id(), "pads");
  if (ids.size() <= 75) FUZZ_CHECK(input.dropped.empty(), "nothing dropped");
  // Decoding repairs split code points with U+FFFD: its text is always valid UTF-8.
  FUZZ_CHECK(sdxl::io::is_valid_utf8(input.dropped), "dropped text is UTF-8");
  FUZZ_CHECK(sdxl::io::is_valid_utf8(tokenizer->decode(ids)), "decoded text is UTF-8");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The bundled vocabulary (data/clip, copied beside the harness by fuzz/CMakeLists.txt), loaded once.
  // SDXL's encoders' settings (the pipeline reads them from the model's configs; this harness has none).
  constexpr int kSdxlContextLength = 77;
  static const auto transformers =
      sdxl::bundled_clip_tokenizer(49407, kSdxlContextLength, sdxl::text::ClipCleaning::Transformers);
  static const auto open_clip = sdxl::bundled_clip_tokenizer(0, kSdxlContextLength, sdxl::text::ClipCleaning::OpenClip);
  const std::string prompt(reinterpret_cast<const char*>(data), size);
  check(transformers, prompt);
  check(open_clip, prompt);
  return 0;
}
