#include "text/html_unescape.h"

#include <algorithm>
#include <cstring>

#include "text/html_entities.h"
#include "text/unicode.h"

namespace sdxl::text {
namespace {

constexpr size_t kMaxNameLength = 32;  // Python's pattern: [^\t\n\f <&#;]{1,32};?

const char* find_named(const std::string& name) {
  return find_named_reference(html_data::kNamedReferences, html_data::kNamedReferenceCount, name);
}

void append(std::u32string& out, const char* utf8) { out += utf8_to_u32(utf8, "html entity table"); }

// The replacement of a numeric reference with value `num` (saturated above U+10FFFF).
void append_numeric(uint32_t num, std::u32string& out) {
  const auto* fix_begin = html_data::kNumericFixups;
  const auto* fix_end = fix_begin + html_data::kNumericFixupCount;
  const auto* fix = std::lower_bound(fix_begin, fix_end, num,
                                     [](const html_data::NumericFixup& f, uint32_t n) { return f.number < n; });
  if (fix != fix_end && fix->number == num) return append(out, fix->utf8);
  if ((num >= 0xD800 && num <= 0xDFFF) || num > 0x10FFFF) return out.push_back(U'\uFFFD');
  const auto* drop_end = html_data::kDroppedCodePoints + html_data::kDroppedCodePointCount;
  if (std::binary_search(html_data::kDroppedCodePoints, drop_end, num)) return;
  out.push_back(static_cast<char32_t>(num));
}

int hex_value(char32_t c) {
  if (c >= '0' && c <= '9') return static_cast<int>(c - '0');
  if (c >= 'a' && c <= 'f') return static_cast<int>(c - 'a' + 10);
  if (c >= 'A' && c <= 'F') return static_cast<int>(c - 'A' + 10);
  return -1;
}

// Tries a numeric reference at text[amp] == '&'; returns the end of the match or 0.
size_t match_numeric(const std::u32string& text, size_t amp, std::u32string& out) {
  const size_t n = text.size();
  size_t i = amp + 1;
  if (i >= n || text[i] != '#') return 0;
  ++i;
  const bool hex = i < n && (text[i] == 'x' || text[i] == 'X') && i + 1 < n && hex_value(text[i + 1]) >= 0;
  const int base = hex ? 16 : 10;
  if (hex) ++i;
  const size_t digits_begin = i;
  uint64_t num = 0;
  while (i < n) {
    int v = hex_value(text[i]);
    if (v < 0 || v >= base) break;
    num = std::min<uint64_t>(num * base + v, 0x110000);  // saturate: anything above U+10FFFF is one case
    ++i;
  }
  if (i == digits_begin) return 0;
  if (i < n && text[i] == ';') ++i;
  append_numeric(static_cast<uint32_t>(num), out);
  return i;
}

bool ends_name(char32_t c) { return c == '\t' || c == '\n' || c == '\f' || c == ' ' || c == '<' || c == '&' || c == '#' || c == ';'; }

// Tries a named reference at text[amp] == '&'; returns the end of the match or 0.
size_t match_named(const std::u32string& text, size_t amp, std::u32string& out) {
  const size_t n = text.size();
  size_t i = amp + 1;
  while (i < n && i - (amp + 1) < kMaxNameLength && !ends_name(text[i])) ++i;
  if (i == amp + 1) return 0;
  if (i < n && text[i] == ';') ++i;
  const std::u32string name = text.substr(amp + 1, i - amp - 1);
  if (const char* full = find_named(u32_to_utf8(name))) {
    append(out, full);
    return i;
  }
  // Longest prefix (at least 2 characters) that is a known name, the rest kept verbatim.
  for (size_t len = name.size() - 1; len >= 2; --len) {
    if (const char* prefix = find_named(u32_to_utf8(name.substr(0, len)))) {
      append(out, prefix);
      out += name.substr(len);
      return i;
    }
  }
  out.push_back('&');
  out += name;
  return i;
}

}  // namespace

const char* find_named_reference(const html_data::NamedReference* table, size_t count, const std::string& name) {
  const auto* end = table + count;
  const auto* it = std::lower_bound(table, end, name, [](const html_data::NamedReference& r, const std::string& n) {
    return std::strcmp(r.name, n.c_str()) < 0;
  });
  return (it != end && name == it->name) ? it->utf8 : nullptr;
}

const char* html5_named_reference(const std::string& name) { return find_named(name); }

std::u32string html_unescape(const std::u32string& text) {
  if (text.find(U'&') == std::u32string::npos) return text;
  std::u32string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    if (text[i] == '&') {
      size_t end = match_numeric(text, i, out);
      if (!end) end = match_named(text, i, out);
      if (end) {
        i = end;
        continue;
      }
    }
    out.push_back(text[i++]);
  }
  return out;
}

}  // namespace sdxl::text
