// Data tables of Python's html module (scripts/gen_html_entities.py). Use text/html_unescape.h.
#pragma once
#include <cstddef>
#include <cstdint>

namespace sdxl::text::html_data {

struct NamedReference {
  const char* name;   // e.g. "amp;" or the legacy "amp"
  const char* utf8;   // replacement text
};

struct NumericFixup {
  uint32_t number;
  const char* utf8;
};

extern const NamedReference kNamedReferences[];  // sorted by name (strcmp order)
extern const size_t kNamedReferenceCount;
extern const NumericFixup kNumericFixups[];      // sorted by number
extern const size_t kNumericFixupCount;
extern const uint32_t kDroppedCodePoints[];      // sorted
extern const size_t kDroppedCodePointCount;

}  // namespace sdxl::text::html_data
