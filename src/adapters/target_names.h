// Which model weight a file's module key names. Keys are matched against the model's own parameter names,
// never split by guesswork: each canonical (diffusers) weight is listed under every name a trainer writes
// for it, and a key either is one of those names or matches nothing.
//   kohya:  lora_unet_ + the SGM name (input_blocks.4.1...) or the diffusers name, with '.' -> '_';
//           lora_te1_ / lora_te_ (CLIP-L) and lora_te2_ (bigG) + the transformers CLIP name, '.' -> '_'
//           (the bigG encoder is stored with separate q/k/v projections, so q_proj etc. are plain weights)
//   PEFT / diffusers: unet. / text_encoder. / text_encoder_2. + the canonical module name; the older
//           attention-processor spellings (attn1.processor.to_q_lora, self_attn.to_q_lora) are normalised first.
#pragma once
#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "weights/checkpoint.h"

namespace sdxl {

struct AdapterTarget {
  std::string component;  // unet | text_encoder | text_encoder_2
  std::string weight;     // canonical parameter name, e.g. down_blocks.1.attentions.0.proj_in.weight
  std::vector<int64_t> shape;
};

class TargetNames {
 public:
  // The weights of the checkpoint's unet, text_encoder and text_encoder_2 (those it has).
  explicit TargetNames(const Checkpoint& checkpoint);
  std::optional<AdapterTarget> resolve(const std::string& module_key) const;

 private:
  void add(const std::string& name, const AdapterTarget& target);
  std::map<std::string, AdapterTarget> by_name_;
  std::map<std::string, std::string> ambiguous_;  // names two weights share (never resolved)
};

// A module path as kohya's key spells it: '.' -> '_' (input_blocks.4.1 -> input_blocks_4_1).
std::string underscored(std::string module);

// "unet" -> "unet", "text_encoder" -> "te1", "text_encoder_2" -> "te2" (the report line's short names).
const char* short_component_name(const std::string& component);

}  // namespace sdxl
