// Steps 1-3 of the CLIP tokenizer (tests/fixtures/README-text.md, "Tokenizer"): text cleaning and
// pre-tokenization, reproducing open_clip's SimpleTokenizer (Python 3.11 + the `regex` module) without ftfy.
#pragma once
#include <string>
#include <vector>

namespace sdxl::text {

// html.unescape twice, strip(), each run of White_Space -> one space, strip(), str.lower().
// Throws sdxl::Error on invalid UTF-8.
std::u32string clip_clean_text(const std::string& utf8);

// Splits cleaned text into words with the pattern
//   's|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+   (IGNORECASE, leftmost alternative wins)
// Whitespace separates words and is dropped.
std::vector<std::u32string> clip_pretokenize(const std::u32string& cleaned);

}  // namespace sdxl::text
