#include "io/png_text.h"

#include <algorithm>

#include "common/error.h"
#include "io/png_chunks.h"
#include "io/png_codec.h"
#include "io/utf8.h"

namespace sdxl::io {
namespace {

constexpr size_t kMaxKeywordBytes = 79;

// Keyword rules from the spec: Latin-1 32..126 and 161..255, no leading/trailing/consecutive spaces.
bool valid_keyword_latin1(std::string_view k) {
  if (k.empty() || k.size() > kMaxKeywordBytes || k.front() == ' ' || k.back() == ' ') return false;
  for (size_t i = 0; i < k.size(); ++i) {
    const auto c = static_cast<unsigned char>(k[i]);
    if (c < 32 || (c > 126 && c < 161)) return false;
    if (c == ' ' && i > 0 && k[i - 1] == ' ') return false;
  }
  return true;
}

// Inflates compressed text without knowing its size up front: doubles the buffer up to the limit.
std::string inflate_text(std::string_view z, size_t max_bytes, const std::string& where) {
  std::string out;
  size_t cap = std::min(max_bytes, std::max<size_t>(4096, z.size() * 8));
  for (;;) {
    if (png_codec::zlib_inflate(z, cap, &out)) return out;
    if (cap >= max_bytes)
      throw Error(ErrorCategory::Input, "", where + ": compressed text is corrupt or inflates past " + std::to_string(max_bytes) + " bytes");
    cap = std::min(max_bytes, cap * 2);
  }
}

// Splits at the first NUL: (before, after). Throws when there is none.
std::pair<std::string_view, std::string_view> split_nul(std::string_view d, const std::string& where,
                                                        const char* field) {
  const size_t nul = d.find('\0');
  if (nul == std::string_view::npos) throw Error(ErrorCategory::Input, "", where + ": " + field + " is not NUL-terminated");
  return {d.substr(0, nul), d.substr(nul + 1)};
}

}  // namespace

std::string encode_text_chunk(const std::string& keyword, const std::string& value) {
  std::string key_latin1;
  if (!utf8_to_latin1(keyword, &key_latin1) || !valid_keyword_latin1(key_latin1))
    throw Error(ErrorCategory::Input, "", "PNG text keyword '" + keyword +
                "' is invalid (1-79 printable Latin-1 characters, no leading, trailing or double spaces)");
  if (!is_valid_utf8(value)) throw Error(ErrorCategory::Input, "", "PNG text '" + keyword + "': value is not valid UTF-8");
  if (value.find('\0') != std::string::npos) throw Error(ErrorCategory::Input, "", "PNG text '" + keyword + "': value contains a NUL byte");

  std::string value_latin1;
  if (utf8_to_latin1(value, &value_latin1)) return png_chunk("tEXt", key_latin1 + '\0' + value_latin1);
  // iTXt: keyword NUL, compression flag 0, method 0, empty language tag NUL, empty translated keyword NUL, text.
  std::string data = key_latin1;
  data += '\0';
  data += '\0';
  data += '\0';
  data += '\0';
  data += '\0';
  data += value;
  return png_chunk("iTXt", data);
}

std::pair<std::string, std::string> decode_text_chunk(std::string_view type, std::string_view data,
                                                      size_t max_value_bytes, const std::string& where) {
  auto [keyword, rest] = split_nul(data, where, "keyword");
  if (keyword.empty() || keyword.size() > kMaxKeywordBytes) throw Error(ErrorCategory::Input, "", where + ": keyword must be 1-79 bytes");
  const std::string key = latin1_to_utf8(keyword);

  std::string value;
  if (type == "tEXt") {
    value = latin1_to_utf8(rest);
  } else if (type == "zTXt") {
    if (rest.empty() || rest[0] != 0) throw Error(ErrorCategory::Input, "", where + ": unknown compression method");
    value = latin1_to_utf8(inflate_text(rest.substr(1), max_value_bytes, where));
  } else if (type == "iTXt") {
    if (rest.size() < 2) throw Error(ErrorCategory::Input, "", where + ": iTXt chunk is truncated");
    const auto flag = static_cast<unsigned char>(rest[0]), method = static_cast<unsigned char>(rest[1]);
    if (flag > 1 || (flag == 1 && method != 0)) throw Error(ErrorCategory::Input, "", where + ": unknown compression flag or method");
    auto [language, rest2] = split_nul(rest.substr(2), where, "language tag");
    auto [translated, text] = split_nul(rest2, where, "translated keyword");
    (void)language;
    (void)translated;
    value = flag ? inflate_text(text, max_value_bytes, where) : std::string(text);
    if (!is_valid_utf8(value)) throw Error(ErrorCategory::Input, "", where + ": iTXt text is not valid UTF-8");
  } else {
    throw Error(ErrorCategory::Input, "", where + ": not a text chunk");
  }
  if (value.size() > max_value_bytes) throw Error(ErrorCategory::Input, "", where + ": text exceeds the limit on text in one file");
  if (value.find('\0') != std::string::npos) throw Error(ErrorCategory::Input, "", where + ": text contains a NUL byte");
  return {key, value};
}

}  // namespace sdxl::io
