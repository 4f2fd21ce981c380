#include "weights/config_json.h"

#include "common/error.h"

namespace sdxl::config {
namespace {

[[noreturn]] void bad(const std::string& what, const std::string& key, const std::string& expected,
                      const nlohmann::json& value) {
  throw Error(what + ": config key '" + key + "' must be " + expected + ", got " + value.dump());
}

const nlohmann::json* find(const nlohmann::json& cfg, const std::string& key) {
  if (!cfg.is_object()) return nullptr;
  auto it = cfg.find(key);
  if (it == cfg.end() || it->is_null()) return nullptr;
  return &*it;
}

int64_t as_int(const nlohmann::json& v, const std::string& key, const std::string& what) {
  if (!v.is_number_integer()) bad(what, key, "an integer", v);
  return v.get<int64_t>();
}

}  // namespace

int64_t int_or(const nlohmann::json& cfg, const std::string& key, int64_t fallback, const std::string& what) {
  const nlohmann::json* v = find(cfg, key);
  return v ? as_int(*v, key, what) : fallback;
}

bool bool_or(const nlohmann::json& cfg, const std::string& key, bool fallback, const std::string& what) {
  const nlohmann::json* v = find(cfg, key);
  if (!v) return fallback;
  if (!v->is_boolean()) bad(what, key, "true or false", *v);
  return v->get<bool>();
}

std::string string_or(const nlohmann::json& cfg, const std::string& key, const std::string& fallback,
                      const std::string& what) {
  const nlohmann::json* v = find(cfg, key);
  if (!v) return fallback;
  if (!v->is_string()) bad(what, key, "a string", *v);
  return v->get<std::string>();
}

std::vector<int64_t> int_list(const nlohmann::json& cfg, const std::string& key, const std::string& what) {
  const nlohmann::json* v = find(cfg, key);
  if (!v) throw Error(what + ": config has no '" + key + "'");
  if (!v->is_array() || v->empty()) bad(what, key, "a non-empty list of integers", *v);
  std::vector<int64_t> out;
  for (const auto& x : *v) out.push_back(as_int(x, key, what));
  return out;
}

std::vector<std::string> string_list(const nlohmann::json& cfg, const std::string& key, const std::string& what) {
  const nlohmann::json* v = find(cfg, key);
  if (!v) throw Error(what + ": config has no '" + key + "'");
  if (!v->is_array()) bad(what, key, "a list of strings", *v);
  std::vector<std::string> out;
  for (const auto& x : *v) {
    if (!x.is_string()) bad(what, key, "a list of strings", *v);
    out.push_back(x.get<std::string>());
  }
  return out;
}

std::vector<int64_t> per_level(const nlohmann::json& cfg, const std::string& key, size_t levels, int64_t fallback,
                               const std::string& what) {
  const nlohmann::json* v = find(cfg, key);
  if (!v) return std::vector<int64_t>(levels, fallback);
  if (v->is_number_integer()) return std::vector<int64_t>(levels, v->get<int64_t>());
  if (!v->is_array() || v->size() != levels)
    bad(what, key, "an integer or a list of " + std::to_string(levels) + " integers", *v);
  std::vector<int64_t> out;
  for (const auto& x : *v) out.push_back(as_int(x, key, what));
  return out;
}

}  // namespace sdxl::config
