// Small UTF-8 / Latin-1 helpers shared by the PNG text chunks, prompt files and output naming.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace sdxl::io {

// True when `s` is well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, <= U+10FFFF).
bool is_valid_utf8(std::string_view s);
// Byte offset of the first ill-formed sequence, or std::string_view::npos when `s` is valid.
size_t first_invalid_utf8(std::string_view s);
// Longest prefix of valid UTF-8 `s` that fits in `max_bytes` without splitting a code point.
size_t utf8_prefix_bytes(std::string_view s, size_t max_bytes);

// Latin-1 (ISO 8859-1) bytes -> UTF-8; every byte maps to the code point of the same value.
std::string latin1_to_utf8(std::string_view s);
// UTF-8 -> Latin-1; false (out untouched) when `s` is invalid or holds a code point above U+00FF.
bool utf8_to_latin1(std::string_view s, std::string* out);

// `s` made safe to put in a one-line error message: printable ASCII and valid UTF-8 kept, control
// characters and invalid bytes written as \xNN, cut after `max_bytes` bytes of input with "...".
std::string printable(std::string_view s, size_t max_bytes = 80);

}  // namespace sdxl::io
