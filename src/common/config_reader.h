// The one reader of diffusers / transformers config.json files (UNet, VAE, tiny autoencoder, CLIP text
// encoders, schedulers, model_index.json). A key that is absent or null is "not given": required keys then
// fail, defaulted keys take the caller's default (diffusers' / transformers' constructor default).
// One integer rule for every config: an integer written as a float (`2.0`, as some exporters write) is
// accepted when it is integral; `2.5` is an error naming the key. Every error is an input error that
// names the source (`what`, usually the file) and the key.
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

namespace sdxl::config {

class Reader {
 public:
  // `j` must be a JSON object, or null for a config that is absent (every key then takes its default).
  // `j` must outlive the reader.
  Reader(const nlohmann::json& j, std::string what);

  [[noreturn]] void fail(const std::string& key, const std::string& message) const;

  bool has(const std::string& key) const;              // present and not null
  const nlohmann::json& at(const std::string& key) const;  // required

  // Without a fallback the key is required.
  int64_t integer(const std::string& key, std::optional<int64_t> fallback = std::nullopt) const;
  double number(const std::string& key, std::optional<double> fallback = std::nullopt) const;
  bool boolean(const std::string& key, bool fallback) const;
  std::string string(const std::string& key, std::optional<std::string> fallback = std::nullopt) const;
  // Required non-empty lists.
  std::vector<int64_t> integers(const std::string& key) const;
  std::vector<std::string> strings(const std::string& key) const;
  // Null/absent or a list of exactly `size` numbers (per-channel statistics).
  std::optional<std::vector<double>> numbers_or_null(const std::string& key, size_t size) const;
  // diffusers accepts an int (same value at every level) or a list with one entry per level.
  std::vector<int64_t> per_level(const std::string& key, size_t levels, std::optional<int64_t> fallback) const;
  // The key may be absent; if present it must equal one of `allowed` (settings this engine does not implement).
  void expect(const std::string& key, std::initializer_list<nlohmann::json> allowed) const;

  // Every integer goes through here: the one rule for `2.0`.
  int64_t to_integer(const std::string& key, const nlohmann::json& v) const;

 private:
  const nlohmann::json& j_;
  std::string what_;
};

}  // namespace sdxl::config
