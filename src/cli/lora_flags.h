// --lora FILE[:MULTIPLIER] (repeatable) -> the request's LoRA list.
#pragma once
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sdxl/request.h"

namespace sdxl::cli {

// "a.safetensors" -> {a.safetensors, 1}; "a.safetensors:0.8" -> {a.safetensors, 0.8}; "a:-0.5" -> -0.5.
// The text after the last ':' is a multiplier only when it parses as a number, so paths with ':' work.
// Throws UsageError for an empty path or a non-finite multiplier.
std::vector<LoraSpec> parse_lora_flags(const std::vector<std::string>& values);

// The FILE[:NUMBER] rule of --lora and --ip-adapter: {FILE, NUMBER}, or {value, nullopt} when the text after
// the last ':' is not a number. Throws UsageError "FLAG VALUE: the WHAT must be a finite number".
std::pair<std::string, std::optional<double>> split_file_number(const std::string& value, const std::string& flag,
                                                                const std::string& what);

}  // namespace sdxl::cli
