#include "text/unicode.h"

#include <algorithm>
#include <cstdio>

#include "common/error.h"
#include "io/utf8.h"
#include "text/unicode_tables.h"

namespace sdxl::text {
namespace {

using unicode_data::in_ranges;

bool is_case_ignorable(char32_t cp) {
  return in_ranges(unicode_data::kCaseIgnorable, unicode_data::kCaseIgnorableCount, cp);
}
bool is_cased(char32_t cp) { return in_ranges(unicode_data::kCased, unicode_data::kCasedCount, cp); }

// U+03A3 lowercases to final sigma U+03C2 when preceded by a cased letter (skipping case-ignorable
// characters) and not followed by one (again skipping case-ignorable characters).
char32_t lower_capital_sigma(const std::u32string& text, size_t i) {
  size_t j = i;
  while (j > 0 && is_case_ignorable(text[j - 1])) --j;
  if (j == 0 || !is_cased(text[j - 1])) return U'\u03C3';
  size_t k = i + 1;
  while (k < text.size() && is_case_ignorable(text[k])) ++k;
  return (k == text.size() || !is_cased(text[k])) ? U'\u03C2' : U'\u03C3';
}

void append_lower(char32_t cp, std::u32string& out) {
  if (cp < 0x80) {
    out.push_back(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);
    return;
  }
  for (size_t i = 0; i < unicode_data::kLowerMultiCount; ++i) {
    const auto& m = unicode_data::kLowerMulti[i];
    if (m.code_point == cp) {
      for (uint32_t k = 0; k < m.count; ++k) out.push_back(m.lower[k]);
      return;
    }
  }
  const auto* runs = unicode_data::kLower;
  const auto* end = runs + unicode_data::kLowerCount;
  const auto* it = std::lower_bound(runs, end, static_cast<uint32_t>(cp),
                                    [](const unicode_data::LowerRun& r, uint32_t c) { return r.last < c; });
  if (it != end && it->first <= cp && (cp - it->first) % it->step == 0)
    out.push_back(static_cast<char32_t>(static_cast<int64_t>(cp) + it->delta));
  else
    out.push_back(cp);
}

}  // namespace

bool unicode_data::in_ranges(const CodePointRange* ranges, size_t count, uint32_t cp) {
  const CodePointRange* end = ranges + count;
  // First range whose last >= cp; cp is inside iff that range starts at or before it.
  const CodePointRange* it =
      std::lower_bound(ranges, end, cp, [](const CodePointRange& r, uint32_t c) { return r.last < c; });
  return it != end && it->first <= cp;
}

std::u32string utf8_to_u32(const std::string& utf8, const std::string& what) {
  const size_t bad = io::first_invalid_utf8(utf8);
  if (bad != std::string_view::npos) {
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02X", static_cast<unsigned char>(utf8[bad]));
    throw Error(ErrorCategory::Input, "", what + " is not valid UTF-8: byte " + hex + " at offset " + std::to_string(bad) + " in \"" +
                io::printable(utf8) + "\"");
  }
  std::u32string out;
  out.reserve(utf8.size());
  for (size_t i = 0; i < utf8.size();) {  // well-formed: the lead byte gives the length
    const auto b = static_cast<unsigned char>(utf8[i]);
    const size_t len = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
    char32_t cp = len == 1 ? b : len == 2 ? (b & 0x1F) : len == 3 ? (b & 0x0F) : (b & 0x07);
    for (size_t k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(utf8[i + k]) & 0x3F);
    out.push_back(cp);
    i += len;
  }
  return out;
}

void append_utf8(char32_t cp, std::string& out) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::string u32_to_utf8(const std::u32string& text) {
  std::string out;
  out.reserve(text.size());
  for (char32_t cp : text) append_utf8(cp, out);
  return out;
}

bool is_letter(char32_t cp) { return in_ranges(unicode_data::kLetter, unicode_data::kLetterCount, cp); }
bool is_number(char32_t cp) { return in_ranges(unicode_data::kNumber, unicode_data::kNumberCount, cp); }
bool is_white_space(char32_t cp) {
  return in_ranges(unicode_data::kWhiteSpace, unicode_data::kWhiteSpaceCount, cp);
}
bool is_python_space(char32_t cp) {
  return in_ranges(unicode_data::kPythonSpace, unicode_data::kPythonSpaceCount, cp);
}

std::u32string python_lower(const std::u32string& text) {
  std::u32string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == U'\u03A3')
      out.push_back(lower_capital_sigma(text, i));
    else
      append_lower(text[i], out);
  }
  return out;
}

std::u32string python_strip(const std::u32string& text) {
  size_t b = 0, e = text.size();
  while (b < e && is_python_space(text[b])) ++b;
  while (e > b && is_python_space(text[e - 1])) --e;
  return text.substr(b, e - b);
}

const char* unicode_version() { return unicode_data::kUnicodeVersion; }

}  // namespace sdxl::text
