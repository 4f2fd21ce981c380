// Data tables generated from Python's unicodedata / str methods (scripts/gen_unicode_tables.py).
// Use the functions in text/unicode.h, not these arrays.
#pragma once
#include <cstddef>
#include <cstdint>

namespace sdxl::text::unicode_data {

struct CodePointRange {
  uint32_t first, last;  // inclusive
};

// Code points first, first+step, ..., <= last lowercase to cp + delta.
struct LowerRun {
  uint32_t first, last;
  int32_t delta;
  uint32_t step;
};

// Code points whose lowercase is several code points (Python's full case mapping).
struct LowerMulti {
  uint32_t code_point;
  uint32_t count;
  uint32_t lower[3];
};

// Whether `cp` lies in one of `count` sorted, disjoint ranges (binary search; defined in unicode.cpp).
bool in_ranges(const CodePointRange* ranges, size_t count, uint32_t cp);

extern const char* const kUnicodeVersion;
extern const CodePointRange kLetter[], kNumber[], kWhiteSpace[], kPythonSpace[], kCaseIgnorable[], kCased[];
extern const size_t kLetterCount, kNumberCount, kWhiteSpaceCount, kPythonSpaceCount, kCaseIgnorableCount,
    kCasedCount;
extern const LowerRun kLower[];
extern const size_t kLowerCount;
extern const LowerMulti kLowerMulti[];
extern const size_t kLowerMultiCount;

}  // namespace sdxl::text::unicode_data
