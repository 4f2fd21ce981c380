#include "io/size_parse.h"

#include <vector>
#include "common/strings.h"

#include "common/error.h"
#include "io/utf8.h"

namespace sdxl::io {
namespace {

std::string quoted(const std::string& text) { return "'" + printable(text) + "'"; }


// One side: decimal digits only; values past kMaxImageSide are reported as such without overflowing.
int parse_number(const std::string& part, const std::string& text, const char* what, const char* format,
                 int min_value) {
  if (!part.empty() && part[0] == '-') throw Error(ErrorCategory::Input, "", quoted(text) + ": " + what + " must not be negative");
  if (part.empty()) throw Error(ErrorCategory::Input, "", quoted(text) + ": expected " + format);
  long long v = 0;
  for (char c : part) {
    if (c < '0' || c > '9') throw Error(ErrorCategory::Input, "", quoted(text) + ": expected " + format + " with decimal integers");
    if (v <= kMaxImageSide) v = v * 10 + (c - '0');
  }
  if (v > kMaxImageSide)
    throw Error(ErrorCategory::Input, "", quoted(text) + ": " + what + " exceeds the limit of " + std::to_string(kMaxImageSide) +
                " (the largest side sdxl-gen reads or writes)");
  if (v < min_value) throw Error(ErrorCategory::Input, "", quoted(text) + ": " + what + " must be at least " + std::to_string(min_value));
  return static_cast<int>(v);
}

// Splits at the single separator; throws for whitespace or a missing/extra separator.
std::pair<std::string, std::string> split_two(const std::string& text, const std::string& seps, const char* format) {
  if (text.empty()) throw Error(ErrorCategory::Input, "", "empty value: expected " + std::string(format));
  for (char c : text)
    if (is_ascii_space(c)) throw Error(ErrorCategory::Input, "", quoted(text) + ": must not contain whitespace (expected " + format + ")");
  const size_t at = text.find_first_of(seps);
  if (at == std::string::npos || text.find_first_of(seps, at + 1) != std::string::npos)
    throw Error(ErrorCategory::Input, "", quoted(text) + ": expected " + format);
  return {text.substr(0, at), text.substr(at + 1)};
}

}  // namespace

WidthHeight parse_size(const std::string& text, int multiple_of) {
  const char* format = "WIDTHxHEIGHT, e.g. 1024x768";
  auto [w, h] = split_two(text, "xX", format);
  WidthHeight s;
  s.width = parse_number(w, text, "width", format, 1);
  s.height = parse_number(h, text, "height", format, 1);
  if (multiple_of > 1) {
    for (auto [side, value] : {std::pair{"width", s.width}, std::pair{"height", s.height}})
      if (value % multiple_of != 0)
        throw Error(ErrorCategory::Input, "", quoted(text) + ": " + side + " " + std::to_string(value) + " is not a multiple of " +
                    std::to_string(multiple_of) +
                    (multiple_of == 8 ? " (the VAE maps 8x8 pixels to one latent)" : ""));
  }
  return s;
}

std::pair<int, int> parse_pair(const std::string& text) {
  const char* format = "TOP,LEFT, e.g. 0,0";
  auto [a, b] = split_two(text, ",", format);
  return {parse_number(a, text, "top", format, 0), parse_number(b, text, "left", format, 0)};
}

Edges parse_edges(const std::string& text, int multiple_of) {
  const char* format = "LEFT,TOP,RIGHT,BOTTOM, e.g. 64,0,64,0";
  for (char c : text)
    if (is_ascii_space(c)) throw Error(ErrorCategory::Input, "", quoted(text) + ": must not contain whitespace (expected " + format + ")");
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t at; (at = text.find(',', start)) != std::string::npos; start = at + 1)
    parts.push_back(text.substr(start, at - start));
  parts.push_back(text.substr(start));
  if (parts.size() != 4) throw Error(ErrorCategory::Input, "", quoted(text) + ": expected " + format);
  const char* names[] = {"left", "top", "right", "bottom"};
  int v[4];
  for (int i = 0; i < 4; ++i) {
    v[i] = parse_number(parts[i], text, names[i], format, 0);
    if (v[i] % multiple_of != 0)
      throw Error(ErrorCategory::Input, "", quoted(text) + ": " + names[i] + " " + std::to_string(v[i]) + " is not a multiple of " +
                  std::to_string(multiple_of));
  }
  if (v[0] + v[1] + v[2] + v[3] == 0) throw Error(ErrorCategory::Input, "", quoted(text) + ": extends no side");
  return Edges{v[0], v[1], v[2], v[3]};
}

}  // namespace sdxl::io
