#include "adapters/target_names.h"

#include "common/strings.h"
#include "weights/original_names.h"

namespace sdxl {
std::string underscored(std::string s) {
  for (char& c : s)
    if (c == '.') c = '_';
  return s;
}

namespace {

std::string replaced(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) s.replace(at, from.size(), to);
  return s;
}

// diffusers' pre-PEFT attention-processor names for the same modules (loaders/lora.py, 0.2x).
std::string normalised(std::string key) {
  static const std::vector<std::pair<const char*, const char*>> kRenames = {
      {".processor.", "."},
      {".to_q_lora", ".to_q"},
      {".to_k_lora", ".to_k"},
      {".to_v_lora", ".to_v"},
      {".to_out_lora", ".to_out.0"},
  };
  for (const auto& [from, to] : kRenames) key = replaced(key, from, to);
  if (key.find("self_attn.") != std::string::npos) {  // CLIP attention: to_q -> q_proj
    for (const char* p : {"q", "k", "v"}) key = replaced(key, std::string("self_attn.to_") + p, std::string("self_attn.") + p + "_proj");
    key = replaced(key, "self_attn.to_out.0", "self_attn.out_proj");
  }
  return key;
}

struct Prefixes {
  const char* component;
  std::vector<const char*> kohya;
  const char* peft;
};
const std::vector<Prefixes>& prefixes() {
  static const std::vector<Prefixes> table = {
      {"unet", {"lora_unet_"}, "unet."},
      {"text_encoder", {"lora_te1_", "lora_te_"}, "text_encoder."},
      {"text_encoder_2", {"lora_te2_"}, "text_encoder_2."},
  };
  return table;
}

const std::string kWeight = ".weight";

}  // namespace

const char* short_component_name(const std::string& component) {
  if (component == "text_encoder") return "te1";
  if (component == "text_encoder_2") return "te2";
  return "unet";
}

void TargetNames::add(const std::string& name, const AdapterTarget& target) {
  if (ambiguous_.count(name)) return;
  auto [it, fresh] = by_name_.emplace(name, target);
  if (!fresh && it->second.weight != target.weight) {
    ambiguous_[name] = it->second.weight;
    by_name_.erase(it);
  }
}

TargetNames::TargetNames(const Checkpoint& checkpoint) {
  for (const auto& p : prefixes()) {
    auto c = checkpoint.components.find(p.component);
    if (c == checkpoint.components.end()) continue;
    std::optional<OriginalNames> sgm;
    if (std::string(p.component) == "unet") sgm.emplace("unet", c->second.config);
    for (const auto& [name, tensor] : c->second.tensors) {
      if (name.size() <= kWeight.size() || !ends_with(name, kWeight))
        continue;
      AdapterTarget target{p.component, name, tensor.sizes().vec()};
      const std::string module = name.substr(0, name.size() - kWeight.size());
      add(p.peft + module, target);
      for (const char* k : p.kohya) add(k + underscored(module), target);
      if (sgm) {
        OriginalName original;
        try {
          original = sgm->of(name);
        } catch (const std::exception&) {
          continue;  // a weight the original layout does not have: only its diffusers names apply
        }
        if (original.how == Stored::AsIs && original.name.size() > kWeight.size())
          add(std::string(p.kohya[0]) + underscored(original.name.substr(0, original.name.size() - kWeight.size())), target);
      }
    }
  }
}

std::optional<AdapterTarget> TargetNames::resolve(const std::string& module_key) const {
  auto it = by_name_.find(module_key);
  if (it == by_name_.end()) it = by_name_.find(normalised(module_key));
  if (it == by_name_.end()) return std::nullopt;
  return it->second;
}

}  // namespace sdxl
