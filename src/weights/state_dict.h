// Canonical (diffusers-named) tensors and the strict loader that fills a module from them.
#pragma once
#include <torch/nn/module.h>

#include <map>
#include <set>
#include <string>
#include <vector>

namespace sdxl {

// Parameter name (diffusers naming) -> tensor; tensors may be memory-mapped views in any float dtype.
using StateDict = std::map<std::string, at::Tensor>;

struct LoadReport {
  std::vector<std::string> missing;     // module parameters the checkpoint did not provide
  std::vector<std::string> unexpected;  // checkpoint tensors the module has no slot for
  std::vector<std::string> mismatched;  // "name: checkpoint [a,b] vs model [c,d]"
  bool ok() const { return missing.empty() && unexpected.empty() && mismatched.empty(); }
  std::string describe(size_t max_names = 20) const;
};

// Compares names and shapes only (no data is read).
LoadReport check_state_dict(const std::map<std::string, std::vector<int64_t>>& expected,
                            const std::map<std::string, std::vector<int64_t>>& provided,
                            const std::set<std::string>& ignored = {});

// "[320,4,3,3]": a shape in messages.
std::string shape_str(const std::vector<int64_t>& shape);

// Names and shapes of a module's parameters and buffers.
std::map<std::string, std::vector<int64_t>> module_shapes(const torch::nn::Module& module);

// Copies every tensor into the module's parameters (converting dtype/device once, at load).
// Strict: throws sdxl::Error listing every missing, unexpected and mis-shaped key at once.
// `what` names the component in messages (e.g. "unet from sd_xl_base_1.0.safetensors").
void load_state_dict(torch::nn::Module& module, const StateDict& tensors, const std::string& what,
                     const std::set<std::string>& ignored = {});

}  // namespace sdxl
