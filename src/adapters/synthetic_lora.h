// A random kohya-style LoRA covering every attention and feed-forward linear of a model: what `bench --lora`
// applies to the full-size random SDXL to time a merge and see that every key of a real-shaped file lands.
//
// The targets come from the checkpoint's own weight names (never a written list of modules): each unet
// transformer block's attn1/attn2 to_q, to_k, to_v, to_out.0 and ff.net.0.proj, ff.net.2, and each text
// encoder layer's self_attn q/k/v/out_proj and mlp fc1/fc2. Keys are the ones kohya's sd-scripts writes for
// SDXL: lora_unet_ + the original (SGM) module name, lora_te1_ / lora_te2_ + the transformers CLIP name,
// '.' -> '_', with .lora_down.weight [rank, in], .lora_up.weight [out, rank] and .alpha, all float16 as
// trained files are stored.
#pragma once
#include <ATen/ATen.h>

#include <cstdint>
#include <map>
#include <string>

#include "weights/checkpoint.h"

namespace sdxl {

struct SyntheticLora {
  std::map<std::string, at::Tensor> tensors;  // ready for io::save_safetensors
  std::map<std::string, int> modules;         // per component short name (unet, te1, te2) -> modules
};

// `alpha` = rank / 2 (a common trainer default), factor values uniform in a small range so that the merged
// model stays well-scaled; `seed` makes the file reproducible.
SyntheticLora synthetic_kohya_lora(const Checkpoint& checkpoint, int64_t rank, uint64_t seed);

}  // namespace sdxl
