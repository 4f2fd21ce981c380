// Enum <-> name tables: every option enum has one constexpr table listing each value with its name, in
// enum order, so text and enum cannot drift apart (a static_assert checks order and size).
#pragma once
#include <array>
#include <cstddef>
#include <optional>
#include <string>

#include "sdxl/error.h"

namespace sdxl {

template <typename E>
struct EnumName {
  E value;
  const char* name;
};

// Entry i names enum value i, and the table covers the enum up to `last`.
template <typename E, size_t N>
constexpr bool table_complete(const std::array<EnumName<E>, N>& table, E last) {
  for (size_t i = 0; i < N; ++i)
    if (static_cast<size_t>(table[i].value) != i) return false;
  return static_cast<size_t>(last) + 1 == N;
}

// "a, b, c" (help texts and error messages).
template <typename E, size_t N>
std::string enum_names(const std::array<EnumName<E>, N>& table) {
  std::string out;
  for (const auto& e : table) out += (out.empty() ? "" : ", ") + std::string(e.name);
  return out;
}

template <typename E, size_t N>
const char* enum_name(const std::array<EnumName<E>, N>& table, E value) {
  return table.at(static_cast<size_t>(value)).name;
}

// The value named `text`, if any (callers raise their own error, naming the field or config key).
template <typename E, size_t N>
std::optional<E> find_enum(const std::array<EnumName<E>, N>& table, const std::string& text) {
  for (const auto& e : table)
    if (text == e.name) return e.value;
  return std::nullopt;
}

// The value named `text`; otherwise a usage error for request field `field` listing the valid names.
template <typename E, size_t N>
E parse_enum(const std::array<EnumName<E>, N>& table, const std::string& text, const std::string& field) {
  if (auto v = find_enum(table, text)) return *v;
  throw usage_error(field, "unknown value '" + text + "' (valid: " + enum_names(table) + ")");
}

}  // namespace sdxl
