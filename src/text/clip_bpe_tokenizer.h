// CLIP's byte-level BPE tokenizer (open_clip SimpleTokenizer / HF CLIPTokenizer files), exact to the
// reference tokenizer of its ClipCleaning flavour, ftfy included except mojibake repair (docs/text.md).
#pragma once
#include <array>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "text/clip_text_cleaning.h"
#include "text/tokenizer.h"

namespace sdxl {

// vocab.json + merges.txt, immutable after loading, plus a word -> ids cache. Thread-safe.
class ClipBpeVocabulary {
 public:
  static std::shared_ptr<const ClipBpeVocabulary> load(const std::string& vocab_json, const std::string& merges_txt);

  // BPE ids of one pre-tokenized word (UTF-8), "</w>" on its last symbol.
  std::vector<int> encode_word(const std::string& word_utf8) const;
  int id(const std::string& token) const;  // -1 when absent
  const std::string& token(int id) const;  // throws sdxl::Error for an id out of range
  size_t size() const { return tokens_.size(); }
  const std::string& source() const { return source_; }

 private:
  ClipBpeVocabulary() = default;
  std::vector<int> bpe(const std::string& word_utf8) const;

  std::string source_;
  std::vector<std::string> tokens_;                // id -> token (byte-alphabet UTF-8)
  std::unordered_map<std::string, int> ids_;       // token -> id
  std::vector<int> byte_symbol_, byte_symbol_end_;  // byte -> id of its symbol / of symbol + "</w>"
  struct Merge {
    int rank, result;
  };
  std::unordered_map<uint64_t, Merge> merges_;  // (left id << 32 | right id) -> rank, merged id

  static constexpr size_t kCacheLimit = 1 << 16;  // words; the cache is cleared when it grows past this
  mutable std::mutex cache_mutex_;
  mutable std::unordered_map<std::string, std::vector<int>> cache_;
};

class ClipBpeTokenizer : public Tokenizer {
 public:
  ClipBpeTokenizer(std::shared_ptr<const ClipBpeVocabulary> vocab, int pad_id, int context_length, int bos_id,
                   int eos_id, text::ClipCleaning cleaning);

  std::vector<int> encode(const std::string& utf8) const override;
  std::string decode(const std::vector<int>& ids) const override;
  int bos_id() const override { return bos_id_; }
  int eos_id() const override { return eos_id_; }
  std::string describe() const override {
    return "CLIP BPE " + vocab_->source() + " (" + text::to_string(cleaning_) + " cleaning)";
  }

  // Intermediate results, to localise a mismatch against the goldens:
  std::vector<std::string> words(const std::string& utf8) const;       // pre-tokenized words (UTF-8)
  text::ClipCleaning cleaning() const { return cleaning_; }
  std::vector<std::string> bpe_tokens(const std::string& utf8) const;  // vocab keys of encode()
  const ClipBpeVocabulary& vocabulary() const { return *vocab_; }

 private:
  // Words and their ids (one word can give several ids). Transformers cuts the raw text at exact
  // occurrences of its literal special tokens (its added tokens) and cleans each piece separately.
  void encode_words(const std::string& utf8, std::vector<std::string>* words, std::vector<int>* ids) const;

  std::shared_ptr<const ClipBpeVocabulary> vocab_;
  int bos_id_, eos_id_;
  text::ClipCleaning cleaning_;
  std::array<std::u32string, 2> specials_;  // the literal start / end tokens
};

// CLIP's reversible byte <-> printable code point alphabet: bytes 33-126, 161-172, 174-255 map to
// themselves, the other 68 bytes to U+0100 upwards in byte order.
char32_t clip_byte_to_symbol(unsigned char byte);
int clip_symbol_to_byte(char32_t symbol);  // -1 when not in the alphabet

}  // namespace sdxl
