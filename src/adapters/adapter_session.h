// LoRA sets on loaded models, switched per request without reloading the base model.
//
// Exactness: the first merge into a weight keeps a copy of it as loaded (model dtype, same device: backups
// of touched tensors only). Every merge computes cast(float32(original) + sum of multiplier * scale * delta)
// from that copy, and switching sets first restores the copies, so a weight under set S is bit-identical
// whichever sets came before it (and equal to a fresh run with S). Restoring from a copy instead of
// re-reading the mapped checkpoint keeps the model dtype's own rounding of the loaded weight without
// redoing the conversion, for the cost of the touched tensors once (see README, "LoRA ...").
#pragma once
#include <torch/nn/module.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "adapters/resolved_adapter.h"
#include "adapters/target_names.h"
#include "sdxl/request.h"

namespace sdxl {

class AdapterSession {
 public:
  explicit AdapterSession(const Checkpoint& checkpoint) : names_(checkpoint) {}

  // Makes `loras` the set to merge. Files not seen before are read, hashed and resolved now (throws
  // sdxl::Error for an unreadable, unmatched or mis-shaped file); their report lines are appended to
  // `reports` and their unmatched keys to `skipped`. Returns `loras` with sha256 and webui_hash filled in.
  std::vector<LoraSpec> select(const std::vector<LoraSpec>& loras, std::vector<std::string>* reports = nullptr,
                               std::vector<std::string>* skipped = nullptr);
  // Brings the loaded `component` (unet, text_encoder, text_encoder_2) to the selected set. A module loaded
  // anew since the last call starts from its file weights. Returns whether any weight changed.
  bool sync(const std::string& component, torch::nn::Module& module);

  const ResolvedAdapter& file(const std::string& path) const { return files_.at(path); }
  size_t backup_bytes() const;  // memory held by the copies of touched weights

 private:
  struct ComponentState {
    std::weak_ptr<torch::nn::Module> module;
    std::map<std::string, at::Tensor> originals;  // weight name -> as loaded
    std::vector<LoraSpec> applied;
  };
  TargetNames names_;
  std::map<std::string, ResolvedAdapter> files_;
  std::vector<LoraSpec> selected_;
  std::map<std::string, ComponentState> state_;
};

}  // namespace sdxl
