// Reading diffusers / transformers config.json values with the library's defaults, and the per-level
// lists diffusers accepts either as one number or as a list. Errors name the config key.
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace sdxl::config {

// `cfg[key]` if present and not null, else `fallback`; throws sdxl::Error naming `what.key` on a type mismatch.
int64_t int_or(const nlohmann::json& cfg, const std::string& key, int64_t fallback, const std::string& what);
bool bool_or(const nlohmann::json& cfg, const std::string& key, bool fallback, const std::string& what);
std::string string_or(const nlohmann::json& cfg, const std::string& key, const std::string& fallback,
                      const std::string& what);
// Required integer list (e.g. block_out_channels).
std::vector<int64_t> int_list(const nlohmann::json& cfg, const std::string& key, const std::string& what);
std::vector<std::string> string_list(const nlohmann::json& cfg, const std::string& key, const std::string& what);
// A number or a list of `levels` numbers (layers_per_block, transformer_layers_per_block), as a list.
std::vector<int64_t> per_level(const nlohmann::json& cfg, const std::string& key, size_t levels, int64_t fallback,
                               const std::string& what);

}  // namespace sdxl::config
