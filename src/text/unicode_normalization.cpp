#include "text/unicode_normalization.h"

#include <algorithm>

#include "text/text_fix_tables.h"

namespace sdxl::text {
namespace {

// Hangul syllables decompose and compose arithmetically (Unicode 14.0, section 3.12).
constexpr char32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161, kTBase = 0x11A7;
constexpr char32_t kLCount = 19, kVCount = 21, kTCount = 28, kNCount = kVCount * kTCount, kSCount = kLCount * kNCount;

int combining_class(char32_t cp) {
  if (cp < 0x300) return 0;
  const auto* end = fix_data::kCombiningClass + fix_data::kCombiningClassCount;
  const auto* it = std::lower_bound(fix_data::kCombiningClass, end, cp,
                                    [](const fix_data::CombiningClassRange& r, char32_t c) { return r.last < c; });
  return it != end && it->first <= cp ? it->combining_class : 0;
}

void decompose(char32_t cp, std::u32string& out) {
  if (cp >= kSBase && cp < kSBase + kSCount) {
    const char32_t s = cp - kSBase;
    out.push_back(kLBase + s / kNCount);
    out.push_back(kVBase + (s % kNCount) / kTCount);
    if (s % kTCount) out.push_back(kTBase + s % kTCount);
    return;
  }
  const auto* end = fix_data::kCanonicalDecomposition + fix_data::kCanonicalDecompositionCount;
  const auto* it = std::lower_bound(fix_data::kCanonicalDecomposition, end, cp,
                                    [](const fix_data::Decomposition& d, char32_t c) { return d.code_point < c; });
  if (it == end || it->code_point != cp) return out.push_back(cp);
  decompose(it->first, out);  // the table holds one level; the first part may decompose again
  if (it->second) decompose(it->second, out);
}

// The primary composite of (first, second), or 0.
char32_t compose(char32_t first, char32_t second) {
  if (first >= kLBase && first < kLBase + kLCount && second >= kVBase && second < kVBase + kVCount)
    return kSBase + ((first - kLBase) * kVCount + (second - kVBase)) * kTCount;
  if (first >= kSBase && first < kSBase + kSCount && (first - kSBase) % kTCount == 0 && second > kTBase &&
      second < kTBase + kTCount)
    return first + (second - kTBase);
  const auto* end = fix_data::kCompositions + fix_data::kCompositionsCount;
  const auto* it = std::lower_bound(fix_data::kCompositions, end, std::make_pair(first, second),
                                    [](const fix_data::Composition& c, const std::pair<char32_t, char32_t>& key) {
                                      return std::make_pair(char32_t{c.first}, char32_t{c.second}) < key;
                                    });
  return it != end && it->first == first && it->second == second ? it->composite : 0;
}

}  // namespace

std::u32string nfc(const std::u32string& text) {
  if (std::all_of(text.begin(), text.end(), [](char32_t c) { return c < 0x300; })) return text;

  std::u32string decomposed;
  decomposed.reserve(text.size());
  for (char32_t c : text) decompose(c, decomposed);
  // Canonical ordering: each run of marks (class != 0) stably sorted by class.
  for (size_t i = 0; i < decomposed.size();) {
    if (combining_class(decomposed[i]) == 0) {
      ++i;
      continue;
    }
    size_t end = i;
    while (end < decomposed.size() && combining_class(decomposed[end]) != 0) ++end;
    std::stable_sort(decomposed.begin() + i, decomposed.begin() + end,
                     [](char32_t a, char32_t b) { return combining_class(a) < combining_class(b); });
    i = end;
  }
  // Canonical composition: a character joins the last starter unless blocked, i.e. unless a character
  // between them has class 0 or a class >= its own. After ordering, the last one kept has the highest.
  std::u32string out;
  out.reserve(decomposed.size());
  size_t starter = std::u32string::npos;
  int last_class = -1;  // class of the last character kept after the starter; -1: none (adjacent)
  for (char32_t c : decomposed) {
    const int cls = combining_class(c);
    if (starter != std::u32string::npos && (last_class == -1 || last_class < cls)) {
      if (char32_t composite = compose(out[starter], c)) {
        out[starter] = composite;
        continue;
      }
    }
    if (cls == 0) {
      starter = out.size();
      last_class = -1;
    } else {
      last_class = cls;
    }
    out.push_back(c);
  }
  return out;
}

}  // namespace sdxl::text
