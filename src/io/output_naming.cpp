#include "io/output_naming.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "common/error.h"
#include "common/strings.h"
#include "io/utf8.h"

namespace sdxl::io {
namespace {

enum class FieldKind { Integer, Text, Real };

struct FieldDef {
  const char* name;
  FieldKind kind;
};
constexpr FieldDef kFields[] = {{"index", FieldKind::Integer}, {"image", FieldKind::Integer},
                                {"seed", FieldKind::Integer},
                                {"steps", FieldKind::Integer}, {"width", FieldKind::Integer},
                                {"height", FieldKind::Integer}, {"prompt", FieldKind::Text},
                                {"sampler", FieldKind::Text},   {"model", FieldKind::Text},
                                {"cfg", FieldKind::Real}};

const FieldDef* find_field(const std::string& name) {
  for (const auto& f : kFields)
    if (name == f.name) return &f;
  return nullptr;
}

std::string known_fields() {
  std::string out;
  for (const auto& f : kFields) out += (out.empty() ? "" : ", ") + std::string(f.name);
  return out;
}

bool all_digits(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

// Small decimal number from a spec ("05" -> 5); -1 when out of [lo, hi] or not digits.
int spec_number(const std::string& s, int lo, int hi) {
  if (!all_digits(s) || s.size() > 3) return -1;
  const int v = std::stoi(s);
  return v < lo || v > hi ? -1 : v;
}

std::string integer_value(const std::string& name, const NameFields& f) {
  if (name == "index") return std::to_string(f.index);
  if (name == "image") return std::to_string(f.image);
  if (name == "seed") return std::to_string(f.seed);
  if (name == "steps") return std::to_string(f.steps);
  if (name == "width") return std::to_string(f.width);
  return std::to_string(f.height);
}

const std::string& text_value(const std::string& name, const NameFields& f) {
  if (name == "prompt") return f.prompt;
  if (name == "sampler") return f.sampler;
  return f.model;
}

// One "{name[:spec]}" -> its slug. `bad` builds the error for this template.
template <typename Bad>
std::string render_field(const std::string& name, const std::string& spec, bool has_spec, const NameFields& f,
                         const Bad& bad) {
  const FieldDef* def = find_field(name);
  if (!def) throw bad("unknown field '{" + name + "}' (known: " + known_fields() + ")");
  const std::string bad_spec = "bad format spec '" + spec + "' for {" + name + "}";
  switch (def->kind) {
    case FieldKind::Integer: {
      std::string v = integer_value(name, f);
      if (has_spec && spec != "d") {
        // "0Nd": zero-pad to N digits.
        const int width = spec.size() >= 3 && spec.front() == '0' && spec.back() == 'd'
                              ? spec_number(spec.substr(1, spec.size() - 2), 1, 20)
                              : -1;
        if (width < 0) throw bad(bad_spec + " (use d or 0Nd, e.g. 05d)");
        const bool negative = !v.empty() && v[0] == '-';
        std::string digits = negative ? v.substr(1) : v;
        const size_t want = size_t(width) - (negative ? 1 : 0);
        if (digits.size() < want) digits.insert(0, want - digits.size(), '0');
        v = (negative ? "-" : "") + digits;
      }
      return slugify(v);
    }
    case FieldKind::Text: {
      size_t max_len = kMaxOutputNameBytes;
      if (has_spec) {
        const int n = spec.size() >= 2 && spec[0] == '.' ? spec_number(spec.substr(1), 1, int(kMaxOutputNameBytes)) : -1;
        if (n < 0) throw bad(bad_spec + " (use .N to keep N characters, N <= " + std::to_string(kMaxOutputNameBytes) + ")");
        max_len = size_t(n);
      }
      return slugify(text_value(name, f), max_len);
    }
    case FieldKind::Real: {
      std::string v;
      if (has_spec) {
        const int n = spec.size() >= 3 && spec[0] == '.' && spec.back() == 'f'
                          ? spec_number(spec.substr(1, spec.size() - 2), 0, 6)
                          : -1;
        if (n < 0) throw bad(bad_spec + " (use .Nf with N <= 6, e.g. .1f)");
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.*f", n, f.cfg);
        v = buf;
      } else {
        std::ostringstream o;
        o << f.cfg;
        v = o.str();
      }
      return slugify(v);
    }
  }
  return "_";
}

// Template text outside fields: no path separators, control characters or broken UTF-8.
template <typename Bad>
void check_literal(char c, const Bad& bad) {
  const auto u = static_cast<unsigned char>(c);
  if (c == '/' || c == '\\') throw bad("'/' and '\\' are not allowed (names stay inside the output directory)");
  if (u < 0x20 || u == 0x7F) throw bad("control characters are not allowed");
}

// Length of the well-formed UTF-8 character at text[i], or 0 for an ill-formed byte.
size_t utf8_char_bytes(const std::string& text, size_t i) {
  const auto lead = static_cast<unsigned char>(text[i]);
  const size_t n = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xE ? 3 : (lead >> 3) == 0x1E ? 4 : 0;
  if (n == 0 || i + n > text.size()) return 0;
  return is_valid_utf8(std::string_view(text).substr(i, n)) ? n : 0;
}

// Non-ASCII characters kept in names: letters and digits of every script, approximated without Unicode
// tables as everything from U+00C0 on except the symbol and punctuation blocks and what no file name
// wants (spaces, invisible formatting, emoji, private use). Prompts in any language keep their words.
bool is_word_character(const std::string& utf8) {
  uint32_t cp = static_cast<unsigned char>(utf8[0]) & (0xFF >> (utf8.size() + 1));
  for (size_t k = 1; k < utf8.size(); ++k) cp = (cp << 6) | (static_cast<unsigned char>(utf8[k]) & 0x3F);
  static const std::pair<uint32_t, uint32_t> kExcluded[] = {
      {0x0000, 0x00BF}, {0x00D7, 0x00D7}, {0x00F7, 0x00F7}, {0x2000, 0x2BFF},  // punctuation, symbols, arrows
      {0x2E00, 0x2E7F}, {0x3000, 0x303F}, {0xE000, 0xF8FF}, {0xFE00, 0xFE0F},  // CJK punctuation, private use
      {0xFE30, 0xFE4F}, {0xFEFF, 0xFEFF}, {0xFF00, 0xFF0F}, {0xFFF0, 0xFFFF},  // forms, BOM, specials
      {0x1F000, 0x1FAFF}, {0xE0000, 0x10FFFF}};                                // emoji, tags, private use
  for (const auto& [lo, hi] : kExcluded)
    if (cp >= lo && cp <= hi) return false;
  return true;
}

bool ends_with_png(const std::string& s) {
  if (s.size() < 4) return false;
  return ascii_lower(s.substr(s.size() - 4)) == ".png";
}

}  // namespace

std::string slugify(const std::string& text, size_t max_len) {
  max_len = std::max<size_t>(max_len, 1);
  std::string out;
  out.reserve(std::min(text.size(), max_len) + 4);
  for (size_t i = 0; i < text.size();) {
    const size_t n = utf8_char_bytes(text, i);
    std::string piece;
    if (n == 1) {
      char c = text[i];
      if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
      const bool keep = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
      piece = keep ? std::string(1, c) : "_";
    } else {
      piece = n > 1 && is_word_character(text.substr(i, n)) ? text.substr(i, n) : "_";
    }
    i += std::max<size_t>(n, 1);
    if (out.empty() && (piece == "_" || piece == "-")) continue;        // trim the front
    if (piece == "_" && !out.empty() && out.back() == '_') continue;     // collapse runs
    out += piece;
    if (out.size() > max_len + 4) break;  // enough to decide the truncated result
  }
  if (out.size() > max_len) out.resize(utf8_prefix_bytes(out, max_len));
  while (!out.empty() && (out.back() == '_' || out.back() == '-')) out.pop_back();  // trim the back
  return out.empty() ? "_" : out;
}

std::string render_name(const std::string& tmpl, const NameFields& fields) {
  auto error = [&](const std::string& why) { return Error(ErrorCategory::Usage, "", "output name template '" + printable(tmpl) + "': " + why); };
  if (tmpl.empty()) throw error("empty template");
  if (!is_valid_utf8(tmpl)) throw error("not valid UTF-8");

  std::string name;
  for (size_t i = 0; i < tmpl.size(); ++i) {
    const char c = tmpl[i];
    if (c == '{' && i + 1 < tmpl.size() && tmpl[i + 1] == '{') {
      name += '{';
      ++i;
    } else if (c == '}' && i + 1 < tmpl.size() && tmpl[i + 1] == '}') {
      name += '}';
      ++i;
    } else if (c == '}') {
      throw error("unmatched '}' (write '}}' for a literal brace)");
    } else if (c == '{') {
      const size_t close = tmpl.find('}', i + 1);
      if (close == std::string::npos) throw error("unclosed '{'");
      const std::string inside = tmpl.substr(i + 1, close - i - 1);
      if (inside.find('{') != std::string::npos) throw error("'{' inside a field");
      const size_t colon = inside.find(':');
      const bool has_spec = colon != std::string::npos;
      name += render_field(inside.substr(0, colon), has_spec ? inside.substr(colon + 1) : "", has_spec, fields, error);
      i = close;
    } else {
      check_literal(c, error);
      name += c;
    }
  }

  std::string ext = ".png";
  if (ends_with_png(name)) {
    ext = name.substr(name.size() - 4);
    name.resize(name.size() - 4);
  }
  if (name.empty()) throw error("the name before '.png' is empty");
  if (name[0] == '.') throw error("names may not start with '.' (hidden files, '..')");
  name.resize(utf8_prefix_bytes(name, kMaxOutputNameBytes - ext.size()));
  return name + ext;
}

void check_name_template(const std::string& tmpl) { (void)render_name(tmpl, NameFields{}); }

}  // namespace sdxl::io
