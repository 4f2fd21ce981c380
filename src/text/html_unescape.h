// Python's html.unescape (CPython 3.11 Lib/html/__init__.py semantics), on code points.
#pragma once
#include <string>

#include "text/html_entities.h"

namespace sdxl::text {

// Replaces every character reference the way Python does: `&#N;` / `&#xH;` (the ';' optional;
// HTML5 fix-ups: 0x80..0x9F remapped as Windows-1252, surrogates and >U+10FFFF -> U+FFFD, noncharacters
// and most controls dropped), HTML5 named references (with or without ';' for the legacy names),
// and for an unknown name the longest known legacy prefix (`&notes` -> U+00AC "es").
std::u32string html_unescape(const std::u32string& text);

// The replacement text of the HTML5 named reference `name` as html.entities.html5 spells it ("amp;", or the
// legacy "amp"), or nullptr.
const char* html5_named_reference(const std::string& name);

// Binary search of `name` in a table sorted by name (strcmp order); nullptr when absent.
const char* find_named_reference(const html_data::NamedReference* table, size_t count, const std::string& name);

}  // namespace sdxl::text
