// The web UI's extra-network prompt syntax for LoRA: <lora:NAME> or <lora:NAME:MULTIPLIER> (also <lyco:...>),
// NAME being a .safetensors file's name without extension anywhere under the LoRA folder (searched
// recursively, as AUTOMATIC1111's Lora extension lists its folder). Tags are taken out of the prompt before
// tokenization, so they never reach the text encoders, whatever the prompt syntax mode.
#pragma once
#include <string>
#include <vector>

#include "sdxl/request.h"

namespace sdxl {

struct LoraTag {
  std::string name;
  double multiplier = 1.0;
};

// Removes every tag from `text`, appending them to `tags`. Throws sdxl::Error for a malformed tag
// (empty name, a multiplier that is not a number, separate text-encoder/UNet multipliers).
std::string take_lora_tags(const std::string& text, std::vector<LoraTag>* tags);

// DIR/**/NAME.safetensors (exact name first, then a unique case-insensitive match). Throws sdxl::Error
// naming NAME and up to three close matches, or saying that no --lora-dir was given.
std::string find_lora_file(const std::string& dir, const std::string& name);

// Takes the tags out of r.text.prompt and r.text.prompt_2 and appends their files (found in `dir`) to r.adapters.loras.
void resolve_lora_tags(GenerationRequest& r, const std::string& dir);

}  // namespace sdxl
