// Steps 1-3 of the CLIP tokenizer (tests/fixtures/README-text.md, "Tokenizer", and docs/text.md): text
// cleaning and pre-tokenization, reproducing the two reference tokenizers SDXL was trained with.
#pragma once
#include <array>
#include <string>
#include <vector>

namespace sdxl::text {

// Which reference tokenizer's cleaning a CLIP BPE tokenizer reproduces. SDXL's original code tokenizes
// for text_encoder (CLIP ViT-L) with transformers' CLIPTokenizer (ftfy installed) and for text_encoder_2
// (OpenCLIP bigG, also the refiner's only encoder) with open_clip 2.24's SimpleTokenizer.
enum class ClipCleaning {
  Transformers,  // whitespace_clean(ftfy.fix_text(text)).lower(); "<|startoftext|>"/"<|endoftext|>" literal
  OpenClip,      // ftfy.fix_text, html.unescape twice, strip, whitespace_clean, lower; "<start_of_text>"...
};
inline constexpr std::array<const char*, 2> kClipCleaningNames{"transformers", "open_clip"};  // in enum order
static_assert(kClipCleaningNames.size() == static_cast<size_t>(ClipCleaning::OpenClip) + 1, "one name per ClipCleaning");
inline const char* to_string(ClipCleaning c) { return kClipCleaningNames.at(static_cast<size_t>(c)); }

// The two literal special tokens (start, end) the flavour's pre-tokenizer keeps whole: written in a
// prompt they become the bos / eos ids. Transformers also cuts the raw text at exact occurrences of them
// before cleaning (they are its added tokens).
std::array<std::u32string, 2> clip_special_literals(ClipCleaning flavour);

// Cleaning as the flavour's reference does it, up to and including lower(). Throws sdxl::Error on invalid
// UTF-8.
std::u32string clip_clean_text(const std::string& utf8, ClipCleaning flavour);
std::u32string clip_clean_text(const std::u32string& text, ClipCleaning flavour);

// Splits cleaned text into words with the pattern
//   <special>|<special>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+
// (IGNORECASE, leftmost alternative wins). Whitespace separates words and is dropped.
std::vector<std::u32string> clip_pretokenize(const std::u32string& cleaned, ClipCleaning flavour);

}  // namespace sdxl::text
