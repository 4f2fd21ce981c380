#include "adapters/resolved_adapter.h"

#include <cstdio>

#include "adapters/adapter_delta.h"
#include "common/error.h"
#include "weights/state_dict.h"

namespace sdxl {
namespace {

std::string file_name(const std::string& path) {
  const size_t slash = path.find_last_of("/\\");
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// LoRA factors fit without computing the product: up [out, rank(,1,1)], down [rank, in(,k,k)].
bool lora_fits(const AdapterModule& m, const std::vector<int64_t>& shape) {
  const at::Tensor& up = m.factors.at("up");
  const at::Tensor& down = m.factors.at("down");
  int64_t inner = 1;
  for (size_t i = 1; i < shape.size(); ++i) inner *= shape[i];
  return !shape.empty() && up.dim() >= 2 && down.dim() >= 2 && up.size(0) == shape[0] &&
         up.numel() == shape[0] * down.size(0) && down.numel() == down.size(0) * inner;
}

}  // namespace

ResolvedAdapter resolve_adapter(const AdapterFile& file, const TargetNames& names) {
  ResolvedAdapter out;
  out.path = file.path;
  out.modules = file.modules.size();
  std::string first_unmatched;
  for (const AdapterModule& m : file.modules) {
    auto target = names.resolve(m.key);
    if (!target) {
      out.skipped.push_back(m.key);
      continue;
    }
    bool fits = true;
    if (m.kind == AdapterKind::LoRA) {
      fits = lora_fits(m, target->shape);
    } else {
      try {
        adapter_delta(m, target->shape, at::kCPU);
      } catch (const Error&) {
        fits = false;
      }
    }
    if (!fits) {
      std::string factors;
      for (const auto& [name, t] : m.factors) factors += (factors.empty() ? "" : ", ") + name + " " + shape_str(t.sizes().vec());
      throw Error(ErrorCategory::Input, "", file.path + ": " + m.key + " does not fit this model's " + target->component + " weight " +
                  target->weight + " " + shape_str(target->shape) + " (" + factors +
                  "); is it a LoRA for another model (e.g. SD 1.5)?");
    }
    out.per_component[short_component_name(target->component)]++;
    out.matched.emplace_back(m, *target);
  }
  if (out.matched.empty())
    throw Error(ErrorCategory::Input, "", file.path + ": none of its " + std::to_string(out.modules) + " modules names a weight of this model (first: " +
                out.skipped.front() + "); is it a LoRA for another model (e.g. SD 1.5)?");
  out.skipped.insert(out.skipped.end(), file.unknown_keys.begin(), file.unknown_keys.end());
  return out;
}

std::string report_line(const ResolvedAdapter& adapter, double multiplier) {
  char mult[32];
  std::snprintf(mult, sizeof mult, "%g", multiplier);
  std::string parts;
  for (const char* c : {"unet", "te1", "te2"}) {
    auto it = adapter.per_component.find(c);
    if (it != adapter.per_component.end()) parts += (parts.empty() ? "" : ", ") + std::string(c) + " " + std::to_string(it->second);
  }
  std::string line = "lora " + file_name(adapter.path) + " \u00d7" + mult + ": " + std::to_string(adapter.matched.size()) + "/" +
                     std::to_string(adapter.modules) + " tensors (" + parts + ")";
  if (!adapter.skipped.empty()) line += "; " + std::to_string(adapter.skipped.size()) + " skipped";
  return line;
}

}  // namespace sdxl
