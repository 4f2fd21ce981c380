#include "common/config_reader.h"

#include "common/error.h"

#include <cmath>

namespace sdxl::config {

using nlohmann::json;

Reader::Reader(const json& j, std::string what) : j_(j), what_(std::move(what)) {
  if (!j.is_object() && !j.is_null()) throw Error(ErrorCategory::Input, "", what_ + ": expected a JSON object");
}

void Reader::fail(const std::string& key, const std::string& message) const {
  throw Error(ErrorCategory::Input, "", what_ + ": field '" + key + "' " + message);
}

bool Reader::has(const std::string& key) const {
  auto it = j_.find(key);
  return it != j_.end() && !it->is_null();
}

const json& Reader::at(const std::string& key) const {
  if (!has(key)) fail(key, "is required");
  return j_.at(key);
}

int64_t Reader::to_integer(const std::string& key, const json& v) const {
  if (v.is_number_integer()) return v.get<int64_t>();
  // Python writes int(2) as 2 but some tools round-trip through floats: 2.0 means 2, 2.5 means nothing.
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (std::isfinite(d) && std::trunc(d) == d && std::fabs(d) < 9.0e15) return static_cast<int64_t>(d);
  }
  fail(key, "must be an integer, got " + v.dump());
}

int64_t Reader::integer(const std::string& key, std::optional<int64_t> fallback) const {
  if (!has(key) && fallback) return *fallback;
  return to_integer(key, at(key));
}

double Reader::number(const std::string& key, std::optional<double> fallback) const {
  if (!has(key) && fallback) return *fallback;
  const json& v = at(key);
  if (!v.is_number()) fail(key, "must be a number, got " + v.dump());
  return v.get<double>();
}

bool Reader::boolean(const std::string& key, bool fallback) const {
  if (!has(key)) return fallback;
  if (!at(key).is_boolean()) fail(key, "must be true or false, got " + at(key).dump());
  return at(key).get<bool>();
}

std::string Reader::string(const std::string& key, std::optional<std::string> fallback) const {
  if (!has(key) && fallback) return *fallback;
  const json& v = at(key);
  if (!v.is_string()) fail(key, "must be a string, got " + v.dump());
  return v.get<std::string>();
}

std::vector<int64_t> Reader::integers(const std::string& key) const {
  const json& v = at(key);
  if (!v.is_array() || v.empty()) fail(key, "must be a non-empty list of integers, got " + v.dump());
  std::vector<int64_t> out;
  for (const auto& e : v) out.push_back(to_integer(key, e));
  return out;
}

std::vector<std::string> Reader::strings(const std::string& key) const {
  const json& v = at(key);
  if (!v.is_array() || v.empty()) fail(key, "must be a non-empty list of strings, got " + v.dump());
  std::vector<std::string> out;
  for (const auto& e : v) {
    if (!e.is_string()) fail(key, "must be a list of strings, got " + v.dump());
    out.push_back(e.get<std::string>());
  }
  return out;
}

std::optional<std::vector<double>> Reader::numbers_or_null(const std::string& key, size_t size) const {
  if (!has(key)) return std::nullopt;
  const json& v = at(key);
  if (!v.is_array() || v.size() != size)
    fail(key, "must be null or a list of " + std::to_string(size) + " numbers, got " + v.dump());
  std::vector<double> out;
  for (const auto& e : v) {
    if (!e.is_number()) fail(key, "holds a non-number: " + e.dump());
    out.push_back(e.get<double>());
  }
  return out;
}

std::vector<int64_t> Reader::per_level(const std::string& key, size_t levels, std::optional<int64_t> fallback) const {
  if (!has(key) && fallback) return std::vector<int64_t>(levels, *fallback);
  if (!at(key).is_array()) return std::vector<int64_t>(levels, to_integer(key, at(key)));
  std::vector<int64_t> values = integers(key);
  if (values.size() != levels)
    fail(key, "has " + std::to_string(values.size()) + " entries, expected one per level (" + std::to_string(levels) +
                  ")");
  return values;
}

void Reader::expect(const std::string& key, std::initializer_list<json> allowed) const {
  auto it = j_.find(key);
  if (it == j_.end()) return;
  for (const auto& a : allowed)
    if (*it == a) return;
  std::string accepted;
  for (const auto& a : allowed) accepted += (accepted.empty() ? "" : " or ") + a.dump();
  fail(key, "= " + it->dump() + " is not supported (supported: " + accepted + ")");
}

}  // namespace sdxl::config
