// Data tables of ftfy 6.3.1's fixes and of Unicode NFC (scripts/gen_text_fix_tables.py).
// Use text/text_fixes.h and text/unicode_normalization.h, not these arrays.
#pragma once
#include <cstddef>
#include <cstdint>

#include "text/html_entities.h"
#include "text/unicode_tables.h"

namespace sdxl::text::fix_data {

using html_data::NamedReference;
using unicode_data::CodePointRange;

struct Replacement {
  uint32_t code_point;
  const char* utf8;  // what the fix writes instead (may be empty)
};

struct CombiningClassRange {
  uint32_t first, last;  // inclusive
  uint8_t combining_class;
};

struct Decomposition {
  uint32_t code_point, first, second;  // second = 0: a singleton decomposition
};

struct Composition {
  uint32_t first, second, composite;
};

extern const NamedReference kUppercaseEntities[];  // sorted by name (strcmp order)
extern const size_t kUppercaseEntitiesCount;
// Sorted by code point.
extern const Replacement kC1Controls[], kLigatures[], kWidthForms[], kCurlyQuotes[];
extern const size_t kC1ControlsCount, kLigaturesCount, kWidthFormsCount, kCurlyQuotesCount;
extern const CodePointRange kRemovedControls[], kDecimalDigits[];
extern const size_t kRemovedControlsCount, kDecimalDigitsCount;
extern const CombiningClassRange kCombiningClass[];
extern const size_t kCombiningClassCount;
extern const Decomposition kCanonicalDecomposition[];  // sorted by code point
extern const size_t kCanonicalDecompositionCount;
extern const Composition kCompositions[];  // sorted by (first, second)
extern const size_t kCompositionsCount;

}  // namespace sdxl::text::fix_data
