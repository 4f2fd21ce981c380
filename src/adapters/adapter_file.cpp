#include "adapters/adapter_file.h"

#include "common/error.h"
#include "common/strings.h"
#include "io/safetensors.h"

namespace sdxl {
namespace {

struct Suffix {
  const char* text;
  AdapterKind kind;
  const char* factor;  // "" for alpha
};

// Longest suffixes first where one ends another (".lora_down.weight" before nothing shorter collides).
const std::vector<Suffix>& suffixes() {
  static const std::vector<Suffix> table = {
      {".lora_down.weight", AdapterKind::LoRA, "down"},
      {".lora_up.weight", AdapterKind::LoRA, "up"},
      {".lora_A.weight", AdapterKind::LoRA, "down"},
      {".lora_B.weight", AdapterKind::LoRA, "up"},
      {".lora.down.weight", AdapterKind::LoRA, "down"},
      {".lora.up.weight", AdapterKind::LoRA, "up"},
      {".lora_linear_layer.down.weight", AdapterKind::LoRA, "down"},
      {".lora_linear_layer.up.weight", AdapterKind::LoRA, "up"},
      {".hada_w1_a", AdapterKind::LoHa, "w1a"},
      {".hada_w1_b", AdapterKind::LoHa, "w1b"},
      {".hada_w2_a", AdapterKind::LoHa, "w2a"},
      {".hada_w2_b", AdapterKind::LoHa, "w2b"},
      {".hada_t1", AdapterKind::LoHa, "t1"},
      {".hada_t2", AdapterKind::LoHa, "t2"},
      {".lokr_w1", AdapterKind::LoKr, "w1"},
      {".lokr_w1_a", AdapterKind::LoKr, "w1a"},
      {".lokr_w1_b", AdapterKind::LoKr, "w1b"},
      {".lokr_w2", AdapterKind::LoKr, "w2"},
      {".lokr_w2_a", AdapterKind::LoKr, "w2a"},
      {".lokr_w2_b", AdapterKind::LoKr, "w2b"},
      {".lokr_t2", AdapterKind::LoKr, "t2"},
  };
  return table;
}

// Tensors that mark a kind this engine does not merge (LyCORIS utils.get_module's other branches, PEFT DoRA).
const std::vector<std::pair<const char*, const char*>>& unsupported() {
  static const std::vector<std::pair<const char*, const char*>> table = {
      {".dora_scale", "DoRA (weight-decomposed LoRA)"},
      {".lora_magnitude_vector", "DoRA (weight-decomposed LoRA)"},
      {".lora_mid.weight", "LoCon with Tucker decomposition (lora_mid)"},
      {".lokr_t1", "LoKr with a Tucker w1 (lokr_t1)"},
      {".diff", "LyCORIS full (diff)"},
      {".diff_b", "LyCORIS full (diff)"},
      {".w_norm", "LyCORIS norm"},
      {".b_norm", "LyCORIS norm"},
      {".oft_blocks", "OFT"},
      {".oft_diag", "OFT"},
      {".on_input", "IA3"},
  };
  return table;
}

// The factors each kind needs, as alternatives: a module is complete when one set is present.
void check_complete(const AdapterModule& m, const std::string& path) {
  auto has = [&](const char* f) { return m.factors.count(f) > 0; };
  bool ok = false;
  switch (m.kind) {
    case AdapterKind::LoRA: ok = has("down") && has("up"); break;
    case AdapterKind::LoHa: ok = has("w1a") && has("w1b") && has("w2a") && has("w2b") && has("t1") == has("t2"); break;
    case AdapterKind::LoKr:
      ok = (has("w1") || (has("w1a") && has("w1b"))) && (has("w2") || (has("w2a") && has("w2b")));
      break;
  }
  if (!ok) throw Error(ErrorCategory::Input, "", path + ": " + to_string(m.kind) + " module " + m.key + " is incomplete (has " +
                       [&] {
                         std::string s;
                         for (const auto& [f, _] : m.factors) s += (s.empty() ? "" : ", ") + f;
                         return s;
                       }() + ")");
}

}  // namespace

const char* to_string(AdapterKind kind) {
  switch (kind) {
    case AdapterKind::LoRA: return "LoRA";
    case AdapterKind::LoHa: return "LoHa";
    case AdapterKind::LoKr: return "LoKr";
  }
  return "?";
}

AdapterFile read_adapter_file(const std::string& path) {
  const std::string lower = ascii_lower(path);
  for (const char* ext : {".ckpt", ".pt", ".pth", ".bin"})
    if (ends_with(lower, ext))
      throw Error(ErrorCategory::Input, "", path + ": pickle files can run code when loaded; only .safetensors LoRA files are read");
  auto file = io::SafetensorsFile::open(path);  // throws naming the path when missing or invalid
  AdapterFile out;
  out.path = path;
  std::map<std::string, AdapterModule> modules;
  std::map<std::string, double> alphas;
  for (const auto& info : file->tensors()) {
    const std::string& name = info.name;
    for (const auto& [suffix, kind] : unsupported())
      if (ends_with(name, suffix))
        throw Error(ErrorCategory::Input, "", path + ": " + kind + " is not supported (tensor " + name + ")");
    if (ends_with(name, ".alpha")) {
      at::Tensor a = file->tensor(name);
      if (a.numel() != 1) throw Error(ErrorCategory::Input, "", path + ": " + name + " should hold one number, has " + std::to_string(a.numel()));
      alphas[name.substr(0, name.size() - 6)] = a.to(at::kDouble).item<double>();
      continue;
    }
    const Suffix* match = nullptr;
    for (const auto& s : suffixes())
      if (ends_with(name, s.text) && (!match || std::string(s.text).size() > std::string(match->text).size())) match = &s;
    if (!match) {
      out.unknown_keys.push_back(name);
      continue;
    }
    const std::string key = name.substr(0, name.size() - std::string(match->text).size());
    auto [it, fresh] = modules.try_emplace(key);
    AdapterModule& m = it->second;
    if (fresh) {
      m.key = key;
      m.kind = match->kind;
    } else if (m.kind != match->kind) {
      throw Error(ErrorCategory::Input, "", path + ": module " + key + " mixes " + to_string(m.kind) + " and " + to_string(match->kind) + " tensors");
    }
    at::Tensor t = file->tensor(name);
    if (!at::isFloatingType(t.scalar_type())) throw Error(ErrorCategory::Input, "", path + ": " + name + " is not a float tensor");
    m.factors[match->factor] = t;
  }
  for (auto& [key, m] : modules) {
    auto a = alphas.find(key);
    if (a != alphas.end()) m.alpha = a->second;
    check_complete(m, path);
    out.modules.push_back(std::move(m));
  }
  for (const auto& [key, _] : alphas)
    if (!modules.count(key)) out.unknown_keys.push_back(key + ".alpha");
  if (out.modules.empty())
    throw Error(ErrorCategory::Input, "", path + ": no LoRA/LyCORIS tensors (expected names like lora_unet_....lora_down.weight or "
                "unet....lora_A.weight)" + (out.unknown_keys.empty() ? "" : ", first tensor: " + out.unknown_keys[0]));
  return out;
}

}  // namespace sdxl
