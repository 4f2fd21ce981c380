#include "text/clip_text_cleaning.h"

#include "text/html_unescape.h"
#include "text/unicode.h"

namespace sdxl::text {
namespace {

// U+0345 COMBINING GREEK YPOGEGRAMMENI case-folds to a letter (iota). Under IGNORECASE the `regex`
// module's combined pattern matches it with no alternative, so the reference silently drops it,
// like whitespace (verified exhaustively against regex 2026.5 on every code point).
constexpr char32_t kDroppedByReference = U'\u0345';

bool is_separator(char32_t c) { return is_white_space(c) || c == kDroppedByReference; }
bool is_symbol(char32_t c) { return !is_separator(c) && !is_letter(c) && !is_number(c); }

// Simple case folding as IGNORECASE applies it to the contraction letters. The text is already
// lowercase, but U+017F LATIN SMALL LETTER LONG S still folds to 's'.
bool folds_to(char32_t c, char ascii) {
  if (c == static_cast<char32_t>(ascii) || c == static_cast<char32_t>(ascii - 'a' + 'A')) return true;
  return ascii == 's' && c == U'\u017F';
}

// Length of the contraction starting at text[i] == '\'' ("'s", "'t", "'re", "'ve", "'m", "'ll", "'d"), or 0.
size_t contraction_length(const std::u32string& text, size_t i) {
  static const char* const kSuffixes[] = {"s", "t", "re", "ve", "m", "ll", "d"};  // pattern order
  for (const char* suffix : kSuffixes) {
    size_t k = 0;
    while (suffix[k] && i + 1 + k < text.size() && folds_to(text[i + 1 + k], suffix[k])) ++k;
    if (!suffix[k]) return 1 + k;
  }
  return 0;
}

}  // namespace

std::u32string clip_clean_text(const std::string& utf8) {
  std::u32string text = python_strip(html_unescape(html_unescape(utf8_to_u32(utf8, "prompt"))));
  std::u32string collapsed;
  collapsed.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    if (is_white_space(text[i])) {
      collapsed.push_back(U' ');
      while (i < text.size() && is_white_space(text[i])) ++i;
    } else {
      collapsed.push_back(text[i++]);
    }
  }
  return python_lower(python_strip(collapsed));
}

std::vector<std::u32string> clip_pretokenize(const std::u32string& text) {
  std::vector<std::u32string> words;
  const size_t n = text.size();
  for (size_t i = 0; i < n;) {
    const char32_t c = text[i];
    size_t end = i + 1;
    if (is_separator(c)) {
      i = end;
      continue;
    }
    if (c == U'\'' && contraction_length(text, i)) {
      end = i + contraction_length(text, i);
    } else if (is_letter(c)) {
      while (end < n && is_letter(text[end])) ++end;
    } else if (!is_number(c)) {  // a number is always a word of its own
      while (end < n && is_symbol(text[end])) ++end;
    }
    words.push_back(text.substr(i, end - i));
    i = end;
  }
  return words;
}

}  // namespace sdxl::text
