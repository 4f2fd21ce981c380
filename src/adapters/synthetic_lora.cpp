#include "adapters/synthetic_lora.h"

#include <ATen/CPUGeneratorImpl.h>

#include <optional>
#include <vector>

#include "adapters/target_names.h"
#include "common/error.h"
#include "common/strings.h"
#include "weights/original_names.h"

namespace sdxl {
namespace {

// Module-name endings of the linears a full LoRA trains (kohya's default target modules for SDXL:
// Transformer2DModel's attention and feed-forward, CLIP's attention and MLP).
const std::vector<std::string>& unet_linears() {
  static const std::vector<std::string> v = {".attn1.to_q", ".attn1.to_k", ".attn1.to_v", ".attn1.to_out.0",
                                             ".attn2.to_q", ".attn2.to_k", ".attn2.to_v", ".attn2.to_out.0",
                                             ".ff.net.0.proj", ".ff.net.2"};
  return v;
}
const std::vector<std::string>& clip_linears() {
  static const std::vector<std::string> v = {".self_attn.q_proj", ".self_attn.k_proj", ".self_attn.v_proj",
                                             ".self_attn.out_proj", ".mlp.fc1", ".mlp.fc2"};
  return v;
}

bool is_target(const std::string& module, const std::vector<std::string>& endings) {
  for (const auto& e : endings)
    if (ends_with(module, e)) return true;
  return false;
}

}  // namespace

SyntheticLora synthetic_kohya_lora(const Checkpoint& checkpoint, int64_t rank, uint64_t seed) {
  if (rank < 1) throw Error(ErrorCategory::Input, "", "synthetic LoRA: the rank must be >= 1");
  at::Generator gen = at::detail::createCPUGenerator(seed);
  const double bound = 0.01;
  SyntheticLora out;
  const std::string suffix = ".weight";
  for (const auto& [component, prefix] : std::vector<std::pair<std::string, std::string>>{
           {"unet", "lora_unet_"}, {"text_encoder", "lora_te1_"}, {"text_encoder_2", "lora_te2_"}}) {
    auto c = checkpoint.components.find(component);
    if (c == checkpoint.components.end()) continue;
    const bool unet = component == "unet";
    std::optional<OriginalNames> sgm;
    if (unet) sgm.emplace("unet", c->second.config);
    for (const auto& [name, tensor] : c->second.tensors) {
      if (!ends_with(name, suffix) || tensor.dim() != 2) continue;
      const std::string module = name.substr(0, name.size() - suffix.size());
      if (!is_target(module, unet ? unet_linears() : clip_linears())) continue;
      std::string kohya = module;
      if (sgm) {  // sd-scripts names the SDXL unet by the original checkpoint's modules
        const std::string original = sgm->of(name).name;
        kohya = original.substr(0, original.size() - suffix.size());
      }
      const std::string key = prefix + underscored(kohya);
      const int64_t out_f = tensor.size(0), in_f = tensor.size(1);
      auto factor = [&](int64_t rows, int64_t cols) {
        return at::empty({rows, cols}, at::kFloat).uniform_(-bound, bound, gen).to(at::kHalf);
      };
      out.tensors[key + ".lora_down.weight"] = factor(rank, in_f);
      out.tensors[key + ".lora_up.weight"] = factor(out_f, rank);
      out.tensors[key + ".alpha"] = at::scalar_tensor(static_cast<double>(rank) / 2, at::kHalf);
      ++out.modules[short_component_name(component)];
    }
  }
  if (out.tensors.empty()) throw Error(ErrorCategory::Input, "", "synthetic LoRA: the checkpoint has no attention or feed-forward linear");
  return out;
}

}  // namespace sdxl
