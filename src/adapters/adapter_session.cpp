#include "adapters/adapter_session.h"

#include <torch/torch.h>

#include "adapters/adapter_delta.h"
#include "common/error.h"
#include "io/mapped_pages.h"

namespace sdxl {

std::vector<LoraSpec> AdapterSession::select(const std::vector<LoraSpec>& loras, std::vector<std::string>* reports,
                                             std::vector<std::string>* skipped) {
  std::vector<LoraSpec> recorded = loras;
  for (LoraSpec& spec : recorded) {
    if (!std::isfinite(spec.multiplier)) throw Error(ErrorCategory::Input, "", "lora " + spec.path + ": the multiplier must be a finite number");
    auto known = files_.find(spec.path);
    if (known != files_.end()) {
      spec.sha256 = known->second.hashes.file;
      spec.webui_hash = known->second.hashes.data.substr(0, 12);
      continue;
    }
    ResolvedAdapter resolved = resolve_adapter(read_adapter_file(spec.path), names_);
    resolved.hashes = io::hash_file(spec.path, /*safetensors_data_hash=*/true);
    spec.sha256 = resolved.hashes.file;
    spec.webui_hash = resolved.hashes.data.substr(0, 12);
    if (reports) reports->push_back(report_line(resolved, spec.multiplier));
    if (skipped)
      for (const auto& k : resolved.skipped) skipped->push_back(spec.path + ": " + k);
    files_.emplace(spec.path, std::move(resolved));
  }
  selected_ = loras;
  return recorded;
}

bool AdapterSession::sync(const std::string& component, torch::nn::Module& module) {
  ComponentState& st = state_[component];
  const std::shared_ptr<torch::nn::Module> current = module.shared_from_this();
  if (st.module.lock() != current) st = ComponentState{current, {}, {}};  // loaded anew: file weights
  if (st.applied == selected_) return false;

  torch::NoGradGuard no_grad;
  const StateDict& stored = checkpoint_.components.at(component).tensors;
  auto params = module.named_parameters(/*recurse=*/true);
  // As the loader does: copy the mapped checkpoint tensor into the parameter, then let its pages go.
  auto reload = [&](at::Tensor& param, const std::string& weight) {
    const at::Tensor& src = stored.at(weight);
    param.copy_(src);
    io::release_mapped_pages(src);
  };

  // Every change to one weight, in selection order, summed in float32 before one rounding to the model dtype.
  std::map<std::string, std::vector<std::pair<const AdapterModule*, double>>> changes;
  for (const LoraSpec& spec : selected_)
    for (const auto& [m, target] : files_.at(spec.path).matched)
      if (target.component == component) changes[target.weight].emplace_back(&m, spec.multiplier * adapter_scale(m));

  const std::set<std::string> previous = std::move(st.merged);
  st.merged.clear();
  for (const std::string& weight : previous)
    if (!changes.count(weight)) reload(params[weight], weight);
  for (const auto& [weight, list] : changes) {
    at::Tensor* p = params.find(weight);
    if (!p) throw Error(ErrorCategory::Input, "", component + ": the model has no weight " + weight);
    if (previous.count(weight)) reload(*p, weight);  // others still hold the checkpoint's values
    at::Tensor sum = p->to(at::kFloat, /*non_blocking=*/false, /*copy=*/true);
    for (const auto& [m, factor] : list) sum.add_(adapter_delta(*m, p->sizes(), p->device()), factor);
    p->copy_(sum);
    st.merged.insert(weight);
  }
  st.applied = selected_;
  return true;
}

size_t AdapterSession::merged_weights() const {
  size_t n = 0;
  for (const auto& [_, st] : state_) n += st.merged.size();
  return n;
}

}  // namespace sdxl
