#include "weights/checkpoint.h"

#include "common/error.h"
#include "weights/checkpoint_plan.h"

namespace sdxl {

const char* to_string(ModelKind kind) { return kind == ModelKind::Base ? "base" : "refiner"; }

Checkpoint open_checkpoint(const std::string& path, const std::string& config_dir) {
  CheckpointPlan plan = plan_checkpoint(path, config_dir);
  const auto problems = plan.problems();
  if (!problems.empty()) {
    constexpr size_t kShown = 12;
    std::string msg = path + ": checkpoint does not match its architecture (" + std::to_string(problems.size()) +
                      " problems):";
    for (size_t i = 0; i < problems.size() && i < kShown; ++i) msg += " " + problems[i] + ";";
    if (problems.size() > kShown) msg += " ...";
    throw Error(ErrorCategory::Input, "", msg);
  }
  Checkpoint ckpt;
  ckpt.path = plan.path;
  ckpt.layout = plan.layout;
  ckpt.kind = plan.kind;
  ckpt.force_zeros_for_empty_prompt = plan.force_zeros_for_empty_prompt;
  ckpt.tokenizer_dir = plan.tokenizer_dir;
  ckpt.tokenizer_2_dir = plan.tokenizer_2_dir;
  ckpt.scheduler_config = plan.scheduler_config;
  for (const auto& c : plan.components) {
    ComponentWeights& w = ckpt.components[c.name];
    w.config = c.config;
    w.source = c.file->path();
    w.config_source = c.config_source;
    for (const auto& [name, src] : c.sources) w.tensors[name] = canonical_tensor(c.file->tensor(src.key), src.form);
  }
  return ckpt;
}

}  // namespace sdxl
