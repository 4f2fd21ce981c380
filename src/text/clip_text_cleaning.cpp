#include "text/clip_text_cleaning.h"

#include "text/html_unescape.h"
#include "text/text_fixes.h"
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

// Length of `literal` matched case-insensitively at text[i], or 0.
size_t match_length(const std::u32string& text, size_t i, const std::u32string& literal) {
  if (text.size() - i < literal.size()) return 0;
  for (size_t k = 0; k < literal.size(); ++k) {
    const char32_t want = literal[k];
    const bool letter = want >= 'a' && want <= 'z';
    if (letter ? !folds_to(text[i + k], static_cast<char>(want)) : text[i + k] != want) return 0;
  }
  return literal.size();
}

// Length of the contraction starting at text[i] == '\'' ("'s", "'t", "'re", "'ve", "'m", "'ll", "'d"), or 0.
size_t contraction_length(const std::u32string& text, size_t i) {
  static const char32_t* const kContractions[] = {U"'s", U"'t", U"'re", U"'ve", U"'m", U"'ll", U"'d"};  // pattern order
  for (const char32_t* c : kContractions)
    if (size_t n = match_length(text, i, c)) return n;
  return 0;
}

// Collapses each run of White_Space to one space and strips (whitespace_clean), then lowercases.
std::u32string whitespace_clean_lower(const std::u32string& text) {
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

}  // namespace

std::array<std::u32string, 2> clip_special_literals(ClipCleaning flavour) {
  if (flavour == ClipCleaning::Transformers) return {U"<|startoftext|>", U"<|endoftext|>"};
  return {U"<start_of_text>", U"<end_of_text>"};
}

std::u32string clip_clean_text(const std::string& utf8, ClipCleaning flavour) {
  return clip_clean_text(utf8_to_u32(utf8, "prompt"), flavour);
}

std::u32string clip_clean_text(const std::u32string& raw, ClipCleaning flavour) {
  std::u32string text = ftfy_fix_text(raw);
  if (flavour == ClipCleaning::OpenClip) text = python_strip(html_unescape(html_unescape(text)));
  return whitespace_clean_lower(text);
}

std::vector<std::u32string> clip_pretokenize(const std::u32string& text, ClipCleaning flavour) {
  const auto specials = clip_special_literals(flavour);
  std::vector<std::u32string> words;
  const size_t n = text.size();
  for (size_t i = 0; i < n;) {
    const char32_t c = text[i];
    size_t end = i + 1;
    if (is_separator(c)) {
      i = end;
      continue;
    }
    size_t special = 0;  // the pattern tries the special literals first
    for (const auto& literal : specials)
      if (c == '<' && (special = match_length(text, i, literal))) break;
    if (special) {
      end = i + special;
    } else if (c == U'\'' && contraction_length(text, i)) {
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
