// Strict UTF-8 <-> code points and the Unicode properties the CLIP tokenizer needs, with Python 3.11
// semantics (Unicode 14.0, tables in generated/unicode_tables.cpp).
#pragma once
#include <string>

namespace sdxl::text {

// Decodes UTF-8; throws sdxl::Error naming `what` and the byte offset on malformed input
// (truncated or overlong sequences, surrogates, code points above U+10FFFF).
std::u32string utf8_to_u32(const std::string& utf8, const std::string& what = "text");
std::string u32_to_utf8(const std::u32string& text);
void append_utf8(char32_t cp, std::string& out);

bool is_letter(char32_t cp);        // General_Category L*  (regex \p{L})
bool is_number(char32_t cp);        // General_Category N*  (regex \p{N})
bool is_white_space(char32_t cp);   // White_Space property (the `regex` module's \s)
bool is_python_space(char32_t cp);  // Python str.isspace() (White_Space plus U+001C..U+001F)

// Python str.lower(): full lowercase mapping per code point (U+0130 -> "i\u0307") and the
// final-sigma rule for U+03A3 (CPython's handle_capital_sigma, Unicode SpecialCasing Final_Sigma).
std::u32string python_lower(const std::u32string& text);

// Python str.strip() (no arguments): trims str.isspace() characters at both ends.
std::u32string python_strip(const std::u32string& text);

const char* unicode_version();

}  // namespace sdxl::text
