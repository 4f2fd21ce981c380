// --lora FILE[:MULTIPLIER] (repeatable) -> the request's LoRA list.
#pragma once
#include <string>
#include <vector>

#include "sdxl/request.h"

namespace sdxl::cli {

// "a.safetensors" -> {a.safetensors, 1}; "a.safetensors:0.8" -> {a.safetensors, 0.8}; "a:-0.5" -> -0.5.
// The text after the last ':' is a multiplier only when it parses as a number, so paths with ':' work.
// Throws UsageError for an empty path or a non-finite multiplier.
std::vector<LoraSpec> parse_lora_flags(const std::vector<std::string>& values);

}  // namespace sdxl::cli
