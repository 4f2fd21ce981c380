#include "text/clip_bpe_tokenizer.h"

#include <limits>

#include "common/error.h"
#include "io/atomic_file.h"
#include "io/utf8.h"
#include "text/unicode.h"

namespace sdxl {
namespace {

constexpr const char* kEndOfWord = "</w>";

uint64_t pair_key(int left, int right) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
}

bool maps_to_itself(unsigned b) { return (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174); }

}  // namespace

char32_t clip_byte_to_symbol(unsigned char byte) {
  if (maps_to_itself(byte)) return byte;
  unsigned shifted = 0;  // how many bytes below this one are remapped
  for (unsigned b = 0; b < byte; ++b) shifted += !maps_to_itself(b);
  return 256 + shifted;
}

int clip_symbol_to_byte(char32_t symbol) {
  if (symbol < 256) return maps_to_itself(symbol) ? static_cast<int>(symbol) : -1;
  unsigned index = symbol - 256;
  for (unsigned b = 0; b < 256; ++b)
    if (!maps_to_itself(b) && index-- == 0) return static_cast<int>(b);
  return -1;
}

std::shared_ptr<const ClipBpeVocabulary> ClipBpeVocabulary::load(const std::string& vocab_json,
                                                                   const std::string& merges_txt) {
  std::shared_ptr<ClipBpeVocabulary> v(new ClipBpeVocabulary());
  v->source_ = vocab_json;
  nlohmann::json vocab;
  try {
    vocab = nlohmann::json::parse(io::read_file(vocab_json));
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorCategory::Input, "", vocab_json + ": not a JSON vocabulary: " + e.what());
  }
  if (!vocab.is_object() || vocab.empty()) throw Error(ErrorCategory::Input, "", vocab_json + ": expected a JSON object token -> id");
  for (const auto& [token, id] : vocab.items()) {
    if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() >= (1 << 24))
      throw Error(ErrorCategory::Input, "", vocab_json + ": id of token '" + token + "' is not a small non-negative integer");
    auto i = id.get<size_t>();
    if (v->tokens_.size() <= i) v->tokens_.resize(i + 1);
    if (!v->tokens_[i].empty()) throw Error(ErrorCategory::Input, "", vocab_json + ": id " + std::to_string(i) + " is used twice");
    v->tokens_[i] = token;
    v->ids_[token] = static_cast<int>(i);
  }
  for (size_t i = 0; i < v->tokens_.size(); ++i)
    if (v->tokens_[i].empty()) throw Error(ErrorCategory::Input, "", vocab_json + ": ids are not contiguous (no token has id " + std::to_string(i) + ")");

  for (int b = 0; b < 256; ++b) {
    std::string symbol;
    text::append_utf8(clip_byte_to_symbol(static_cast<unsigned char>(b)), symbol);
    int plain = v->id(symbol), end = v->id(symbol + kEndOfWord);
    if (plain < 0 || end < 0) throw Error(ErrorCategory::Input, "", vocab_json + ": byte symbol of byte " + std::to_string(b) + " is missing");
    v->byte_symbol_.push_back(plain);
    v->byte_symbol_end_.push_back(end);
  }

  // merges.txt: optional "#version" header, then one "left right" pair per line; rank = order.
  const std::string merges = io::read_file(merges_txt);
  size_t pos = 0;
  int rank = 0, line_no = 0;
  while (pos < merges.size()) {
    size_t eol = merges.find('\n', pos);
    if (eol == std::string::npos) eol = merges.size();
    std::string line = merges.substr(pos, eol - pos);
    pos = eol + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || (line_no == 1 && line.rfind("#version", 0) == 0)) continue;
    const size_t space = line.find(' ');
    if (space == std::string::npos || line.find(' ', space + 1) != std::string::npos)
      throw Error(ErrorCategory::Input, "", merges_txt + ":" + std::to_string(line_no) + ": expected 'left right', got '" + line + "'");
    const std::string left = line.substr(0, space), right = line.substr(space + 1);
    const int l = v->id(left), r = v->id(right), result = v->id(left + right);
    if (l < 0 || r < 0 || result < 0)
      throw Error(ErrorCategory::Input, "", merges_txt + ":" + std::to_string(line_no) + ": merge '" + line + "' uses a token missing from " +
                  vocab_json);
    v->merges_.emplace(pair_key(l, r), Merge{rank++, result});  // a repeated pair keeps its first rank
  }
  if (v->merges_.empty()) throw Error(ErrorCategory::Input, "", merges_txt + ": no merges");
  return v;
}

int ClipBpeVocabulary::id(const std::string& token) const {
  auto it = ids_.find(token);
  return it == ids_.end() ? -1 : it->second;
}

const std::string& ClipBpeVocabulary::token(int id) const {
  if (id < 0 || static_cast<size_t>(id) >= tokens_.size())
    throw Error(ErrorCategory::Input, "", "token id " + std::to_string(id) + " is outside the vocabulary of " + source_);
  return tokens_[static_cast<size_t>(id)];
}

// Byte-pair encoding of one word: start from its byte symbols (the last one ending the word), then
// repeatedly merge every occurrence, left to right, of the adjacent pair with the lowest merge rank.
std::vector<int> ClipBpeVocabulary::bpe(const std::string& word) const {
  std::vector<int> symbols;
  symbols.reserve(word.size());
  for (size_t i = 0; i < word.size(); ++i) {
    const auto b = static_cast<unsigned char>(word[i]);
    symbols.push_back(i + 1 == word.size() ? byte_symbol_end_[b] : byte_symbol_[b]);
  }
  std::vector<int> merged;
  while (symbols.size() > 1) {
    const Merge* best = nullptr;
    int best_left = 0, best_right = 0;
    for (size_t i = 0; i + 1 < symbols.size(); ++i) {
      auto it = merges_.find(pair_key(symbols[i], symbols[i + 1]));
      if (it != merges_.end() && (!best || it->second.rank < best->rank)) {
        best = &it->second;
        best_left = symbols[i];
        best_right = symbols[i + 1];
      }
    }
    if (!best) break;
    merged.clear();
    for (size_t i = 0; i < symbols.size();) {
      if (i + 1 < symbols.size() && symbols[i] == best_left && symbols[i + 1] == best_right) {
        merged.push_back(best->result);
        i += 2;
      } else {
        merged.push_back(symbols[i++]);
      }
    }
    symbols.swap(merged);
  }
  return symbols;
}

std::vector<int> ClipBpeVocabulary::encode_word(const std::string& word) const {
  {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    auto it = cache_.find(word);
    if (it != cache_.end()) return it->second;
  }
  std::vector<int> ids = bpe(word);
  std::lock_guard<std::mutex> lock(cache_mutex_);
  if (cache_.size() >= kCacheLimit) cache_.clear();
  cache_.emplace(word, ids);
  return ids;
}

ClipBpeTokenizer::ClipBpeTokenizer(std::shared_ptr<const ClipBpeVocabulary> vocab, int pad_id, int context_length,
                                   int bos_id, int eos_id, text::ClipCleaning cleaning)
    : Tokenizer(pad_id, context_length),
      vocab_(std::move(vocab)),
      bos_id_(bos_id),
      eos_id_(eos_id),
      cleaning_(cleaning),
      specials_(text::clip_special_literals(cleaning)) {
  for (int id : {pad_id, bos_id, eos_id}) vocab_->token(id);  // validates the range
}

void ClipBpeTokenizer::encode_words(const std::string& utf8, std::vector<std::string>* words,
                                    std::vector<int>* ids) const {
  const std::u32string text = text::utf8_to_u32(utf8, "prompt");
  auto add = [&](const std::u32string& word) {
    const std::string w = text::u32_to_utf8(word);
    if (words) words->push_back(w);
    if (!ids) return;
    // Only the exact literal is special (both references map it through their BPE cache); a case variant
    // the pattern also keeps whole ("<ſtart_of_text>") is encoded like any other word.
    if (word == specials_[0] || word == specials_[1]) return ids->push_back(word == specials_[0] ? bos_id_ : eos_id_);
    const auto word_ids = vocab_->encode_word(w);
    ids->insert(ids->end(), word_ids.begin(), word_ids.end());
  };
  auto add_piece = [&](const std::u32string& piece) {
    for (const auto& word : text::clip_pretokenize(text::clip_clean_text(piece, cleaning_), cleaning_)) add(word);
  };
  if (cleaning_ != text::ClipCleaning::Transformers) return add_piece(text);
  size_t pos = 0;
  while (true) {  // transformers' added-token split: leftmost occurrence first
    size_t at = std::u32string::npos, length = 0;
    for (const auto& special : specials_) {
      const size_t found = text.find(special, pos);
      if (found < at) at = found, length = special.size();
    }
    add_piece(text.substr(pos, at == std::u32string::npos ? std::u32string::npos : at - pos));
    if (at == std::u32string::npos) return;
    add(text.substr(at, length));
    pos = at + length;
  }
}

std::vector<std::string> ClipBpeTokenizer::words(const std::string& utf8) const {
  std::vector<std::string> out;
  encode_words(utf8, &out, nullptr);
  return out;
}

std::vector<int> ClipBpeTokenizer::encode(const std::string& utf8) const {
  std::vector<int> ids;
  encode_words(utf8, nullptr, &ids);
  return ids;
}

std::vector<std::string> ClipBpeTokenizer::bpe_tokens(const std::string& utf8) const {
  std::vector<std::string> out;
  for (int id : encode(utf8)) out.push_back(vocab_->token(id));
  return out;
}

// Joins the symbols, maps the byte alphabet back to bytes (special tokens stay as they are written), decodes
// UTF-8 with U+FFFD for bytes cut mid-character, turns "</w>" into spaces and trims (HF CLIPTokenizer).
std::string ClipBpeTokenizer::decode(const std::vector<int>& ids) const {
  std::string bytes;
  for (int id : ids) {
    const std::string& token = vocab_->token(id);
    std::u32string symbols = text::utf8_to_u32(token, "vocabulary token");
    for (char32_t s : symbols) {
      int b = clip_symbol_to_byte(s);
      if (b >= 0)
        bytes.push_back(static_cast<char>(b));
      else
        text::append_utf8(s, bytes);
    }
  }
  std::string text;  // bytes cut mid-character (truncation) become U+FFFD, one per bad byte
  for (std::string_view rest = bytes; !rest.empty();) {
    const size_t bad = io::first_invalid_utf8(rest);
    text.append(rest.substr(0, std::min(bad, rest.size())));
    if (bad == std::string_view::npos) break;
    text += "\xEF\xBF\xBD";
    rest.remove_prefix(bad + 1);
  }
  std::string out;
  for (size_t i = 0; i < text.size();) {
    if (text.compare(i, 4, kEndOfWord) == 0) {
      out.push_back(' ');
      i += 4;
    } else {
      out.push_back(text[i++]);
    }
  }
  size_t b = out.find_first_not_of(' '), e = out.find_last_not_of(' ');
  return b == std::string::npos ? std::string() : out.substr(b, e - b + 1);
}

}  // namespace sdxl
