// LoRA sets on loaded models, switched per request without reloading the base model.
//
// Exactness without copies: a merged weight is cast(float32(W) + sum of multiplier * scale * delta), W being
// the weight as loaded, and restoring it repeats the loader's own step (the parameter copied from the
// checkpoint's mapped tensor, weights/state_dict.cpp), so a weight under set S is bit-identical whichever sets
// came before it (and equal to a fresh run with S). Keeping float32 or model-dtype copies of the touched
// weights instead would hold 5.8 GB more for a LoRA on every attention and feed-forward linear of SDXL (fp16;
// on CUDA that is GPU memory); re-reading costs one conversion per touched weight per switch (README).
#pragma once
#include <torch/nn/module.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "adapters/resolved_adapter.h"
#include "adapters/target_names.h"
#include "sdxl/request.h"

namespace sdxl {

class AdapterSession {
 public:
  // `checkpoint` (the loaded models' source) must outlive the session.
  explicit AdapterSession(const Checkpoint& checkpoint) : checkpoint_(checkpoint), names_(checkpoint) {}

  // Makes `loras` the set to merge. Files not seen before are read, hashed and resolved now (throws
  // sdxl::Error for an unreadable, unmatched or mis-shaped file); their report lines are appended to
  // `reports` and their unmatched keys to `skipped`. Returns `loras` with sha256 and webui_hash filled in.
  std::vector<LoraSpec> select(const std::vector<LoraSpec>& loras, std::vector<std::string>* reports = nullptr,
                               std::vector<std::string>* skipped = nullptr);
  // Brings the loaded `component` (unet, text_encoder, text_encoder_2) to the selected set. A module loaded
  // anew since the last call starts from its file weights. Returns whether any weight changed.
  bool sync(const std::string& component, torch::nn::Module& module);

  const ResolvedAdapter& file(const std::string& path) const { return files_.at(path); }
  size_t merged_weights() const;  // weights that currently differ from the checkpoint

 private:
  struct ComponentState {
    std::weak_ptr<torch::nn::Module> module;
    std::set<std::string> merged;  // weights changed from the checkpoint's
    std::vector<LoraSpec> applied;
  };
  const Checkpoint& checkpoint_;
  TargetNames names_;
  std::map<std::string, ResolvedAdapter> files_;
  std::vector<LoraSpec> selected_;
  std::map<std::string, ComponentState> state_;
};

}  // namespace sdxl
