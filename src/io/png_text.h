// PNG text chunks (PNG spec 11.3.3): tEXt (Latin-1), zTXt (compressed Latin-1), iTXt (UTF-8).
// Keywords and values are UTF-8 in our API; the conversion to and from Latin-1 happens here.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

namespace sdxl::io {

// A complete chunk for (keyword, value): tEXt when the value is representable in Latin-1 (as PIL writes
// them, and what the web UIs read), else uncompressed iTXt. The keyword must be 1-79 printable Latin-1
// characters without leading, trailing or double spaces; the value valid UTF-8 without NUL. Throws sdxl::Error.
std::string encode_text_chunk(const std::string& keyword, const std::string& value);

// Decodes one tEXt / zTXt / iTXt chunk's data to UTF-8 (keyword, value). Compressed text may inflate to
// at most `max_value_bytes`. `where` (file and chunk) starts every error message.
std::pair<std::string, std::string> decode_text_chunk(std::string_view type, std::string_view data,
                                                      size_t max_value_bytes, const std::string& where);

}  // namespace sdxl::io
