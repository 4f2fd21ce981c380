// Reading LoRA / LyCORIS files (safetensors only) into one neutral form: per module of the model, the
// file's factors under normalised names, whatever trainer wrote them.
//
// Key forms (module key = everything before the factor suffix):
//   kohya / web UI   lora_unet_<module>.lora_down.weight / .lora_up.weight / .alpha  (lora_te1_, lora_te2_, lora_te_)
//   PEFT / diffusers unet.<module>.lora_A.weight / .lora_B.weight; older .lora.down.weight,
//                    .lora_linear_layer.down.weight (text_encoder., text_encoder_2. prefixes)
//   LyCORIS LoHa     .hada_w1_a .hada_w1_b .hada_w2_a .hada_w2_b [.hada_t1 .hada_t2] .alpha
//   LyCORIS LoKr     .lokr_w1 | .lokr_w1_a .lokr_w1_b, .lokr_w2 | .lokr_w2_a .lokr_w2_b [.lokr_t2] .alpha
// A file using a kind this engine does not merge (DoRA, LyCORIS full/norm/OFT/IA3) is refused with the kind.
#pragma once
#include <ATen/ATen.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace sdxl {

// Detected from the file's tensor names (never chosen by users, so no parser): for messages only.
enum class AdapterKind { LoRA, LoHa, LoKr };
const char* to_string(AdapterKind kind);

// One module's factors. Factor names: LoRA down, up; LoHa w1a w1b w2a w2b [t1 t2];
// LoKr w1 | w1a w1b, w2 | w2a w2b [t2]. Tensors are CPU views of the mapped file, in its dtype.
struct AdapterModule {
  std::string key;  // the file's module key, e.g. lora_unet_input_blocks_4_1_transformer_blocks_0_attn1_to_q
  AdapterKind kind = AdapterKind::LoRA;
  std::map<std::string, at::Tensor> factors;
  std::optional<double> alpha;  // absent: alpha = rank (scale 1)
};

struct AdapterFile {
  std::string path;
  std::vector<AdapterModule> modules;     // sorted by key
  std::vector<std::string> unknown_keys;  // tensors of no recognised form (reported, not merged)
};

// Throws sdxl::Error naming the file for: a missing/unreadable/non-safetensors file, a pickle, a kind that
// cannot be merged (naming it and the first key), a module with incomplete factors, a file with no module.
AdapterFile read_adapter_file(const std::string& path);

}  // namespace sdxl
