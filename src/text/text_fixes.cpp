#include "text/text_fixes.h"

#include <algorithm>

#include "text/html_unescape.h"
#include "text/text_fix_tables.h"
#include "text/unicode.h"
#include "text/unicode_normalization.h"

namespace sdxl::text {
namespace {

constexpr size_t kMaxSegmentLength = 1000000;  // ftfy TextFixerConfig.max_decode_length
constexpr size_t kMaxEntityName = 24;          // ftfy chardata.HTML_ENTITY_RE: &#?[0-9A-Za-z]{1,24};

// str.translate with a table of single-code-point replacements (ftfy's translate-based fixes).
std::u32string translate(const std::u32string& text, const fix_data::Replacement* table, size_t count) {
  const char32_t lowest = table[0].code_point;
  const auto* end = table + count;
  std::u32string out;
  out.reserve(text.size());
  for (char32_t c : text) {
    if (c < lowest) {
      out.push_back(c);
      continue;
    }
    const auto* it =
        std::lower_bound(table, end, c, [](const fix_data::Replacement& r, char32_t cp) { return r.code_point < cp; });
    if (it != end && it->code_point == c)
      out += utf8_to_u32(it->utf8, "text fix table");
    else
      out.push_back(c);
  }
  return out;
}

bool is_entity_name_char(char32_t c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_escape_final(char32_t c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// End of an HTML_ENTITY_RE match at text[amp] == '&', or 0.
size_t entity_end(const std::u32string& text, size_t amp) {
  size_t i = amp + 1;
  if (i < text.size() && text[i] == '#') ++i;
  const size_t name_begin = i;
  while (i < text.size() && i - name_begin < kMaxEntityName && is_entity_name_char(text[i])) ++i;
  if (i == name_begin || i >= text.size() || text[i] != ';') return 0;
  return i + 1;
}

// fixes._unescape_fixup: the replacement of one matched entity (the match itself when nothing applies).
std::u32string unescape_entity(const std::u32string& entity) {
  const std::string name = u32_to_utf8(entity.substr(1));  // without '&', with ';'
  if (entity[1] != '#') {
    const char* known = html5_named_reference(name);
    if (!known) known = find_named_reference(fix_data::kUppercaseEntities, fix_data::kUppercaseEntitiesCount, name);
    return known ? utf8_to_u32(known, "html entity table") : entity;
  }
  // A numeric reference: html.unescape decides; a ';' left over means it did not consume the whole match.
  std::u32string unescaped = html_unescape(entity);
  return unescaped.find(U';') == std::u32string::npos ? unescaped : entity;
}

bool is_decimal(char32_t c) { return unicode_data::in_ranges(fix_data::kDecimalDigits, fix_data::kDecimalDigitsCount, c); }

// One segment, as ftfy.fix_and_explain does it with fix_encoding off.
std::u32string fix_segment(std::u32string text, bool unescape) {
  while (true) {
    const std::u32string before = text;
    if (unescape) text = ftfy_fixes::unescape_html(text);
    text = ftfy_fixes::fix_c1_controls(text);
    text = ftfy_fixes::fix_latin_ligatures(text);
    text = ftfy_fixes::fix_character_width(text);
    text = ftfy_fixes::uncurl_quotes(text);
    text = ftfy_fixes::fix_line_breaks(text);
    text = ftfy_fixes::remove_terminal_escapes(text);
    text = ftfy_fixes::remove_control_chars(text);
    text = nfc(text);
    if (text == before) return text;
  }
}

}  // namespace

namespace ftfy_fixes {

std::u32string unescape_html(const std::u32string& text) {
  if (text.find(U'&') == std::u32string::npos) return text;
  std::u32string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const size_t end = text[i] == '&' ? entity_end(text, i) : 0;
    if (end) {
      out += unescape_entity(text.substr(i, end - i));
      i = end;
    } else {
      out.push_back(text[i++]);
    }
  }
  return out;
}

std::u32string fix_c1_controls(const std::u32string& text) { return translate(text, fix_data::kC1Controls, fix_data::kC1ControlsCount); }
std::u32string fix_latin_ligatures(const std::u32string& text) { return translate(text, fix_data::kLigatures, fix_data::kLigaturesCount); }
std::u32string fix_character_width(const std::u32string& text) { return translate(text, fix_data::kWidthForms, fix_data::kWidthFormsCount); }
std::u32string uncurl_quotes(const std::u32string& text) { return translate(text, fix_data::kCurlyQuotes, fix_data::kCurlyQuotesCount); }

std::u32string fix_line_breaks(const std::u32string& text) {
  std::u32string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char32_t c = text[i];
    if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;  // CRLF: the '\n' stays
    out.push_back(c == '\r' || c == U'\u2028' || c == U'\u2029' || c == U'\u0085' ? U'\n' : c);
  }
  return out;
}

std::u32string remove_terminal_escapes(const std::u32string& text) {
  if (text.find(U'\x1b') == std::u32string::npos) return text;
  std::u32string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    if (text[i] == U'\x1b' && i + 1 < text.size() && text[i + 1] == '[') {
      size_t j = i + 2;
      while (j < text.size() && (text[j] == ';' || is_decimal(text[j]))) ++j;
      if (j < text.size() && is_escape_final(text[j])) {
        i = j + 1;
        continue;
      }
    }
    out.push_back(text[i++]);
  }
  return out;
}

std::u32string remove_control_chars(const std::u32string& text) {
  std::u32string out;
  out.reserve(text.size());
  for (char32_t c : text)
    if (!unicode_data::in_ranges(fix_data::kRemovedControls, fix_data::kRemovedControlsCount, c)) out.push_back(c);
  return out;
}

}  // namespace ftfy_fixes

std::u32string ftfy_fix_text(const std::u32string& text) {
  std::u32string out;
  out.reserve(text.size());
  bool unescape = true;  // ftfy's unescape_html="auto": off from the first segment that holds a '<'
  for (size_t pos = 0; pos < text.size();) {
    const size_t newline = text.find(U'\n', pos);
    const size_t end = std::min({newline == std::u32string::npos ? text.size() : newline + 1, pos + kMaxSegmentLength});
    const std::u32string segment = text.substr(pos, end - pos);
    if (segment.find(U'<') != std::u32string::npos) unescape = false;
    out += fix_segment(segment, unescape);
    pos = end;
  }
  return out;
}

}  // namespace sdxl::text
