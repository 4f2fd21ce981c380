#include "weights/state_dict.h"

#include "common/error.h"
#include "io/mapped_pages.h"

#include <sstream>

namespace sdxl {

std::string shape_str(const std::vector<int64_t>& s) {
  std::ostringstream o;
  o << "[";
  for (size_t i = 0; i < s.size(); ++i) o << (i ? "," : "") << s[i];
  o << "]";
  return o.str();
}

namespace {

void list(std::ostringstream& o, const char* label, const std::vector<std::string>& names, size_t max_names) {
  if (names.empty()) return;
  o << " " << names.size() << " " << label << ":";
  for (size_t i = 0; i < names.size() && i < max_names; ++i) o << " " << names[i];
  if (names.size() > max_names) o << " ...";
  o << ";";
}

}  // namespace

std::string LoadReport::describe(size_t max_names) const {
  std::ostringstream o;
  list(o, "missing", missing, max_names);
  list(o, "unexpected", unexpected, max_names);
  list(o, "mis-shaped", mismatched, max_names);
  return o.str();
}

LoadReport check_state_dict(const std::map<std::string, std::vector<int64_t>>& expected,
                            const std::map<std::string, std::vector<int64_t>>& provided,
                            const std::set<std::string>& ignored) {
  LoadReport r;
  for (const auto& [name, shape] : expected) {
    auto it = provided.find(name);
    if (it == provided.end())
      r.missing.push_back(name);
    else if (it->second != shape)
      r.mismatched.push_back(name + ": checkpoint " + shape_str(it->second) + " vs model " + shape_str(shape));
  }
  for (const auto& [name, shape] : provided)
    if (!expected.count(name) && !ignored.count(name)) r.unexpected.push_back(name);
  return r;
}

std::map<std::string, std::vector<int64_t>> module_shapes(const torch::nn::Module& module) {
  std::map<std::string, std::vector<int64_t>> out;
  for (const auto& p : module.named_parameters(true)) out[p.key()] = p.value().sizes().vec();
  for (const auto& b : module.named_buffers(true)) out[b.key()] = b.value().sizes().vec();
  return out;
}

void load_state_dict(torch::nn::Module& module, const StateDict& tensors, const std::string& what,
                     const std::set<std::string>& ignored) {
  std::map<std::string, std::vector<int64_t>> provided;
  for (const auto& [name, t] : tensors) provided[name] = t.sizes().vec();
  LoadReport report = check_state_dict(module_shapes(module), provided, ignored);
  if (!report.ok()) throw Error(ErrorCategory::Input, "", what + ": checkpoint does not match the model:" + report.describe());
  torch::NoGradGuard no_grad;
  // Each source's mapped pages are dropped once copied (io/mapped_pages.h): peak memory = the parameters.
  for (auto& p : module.named_parameters(true)) {
    const at::Tensor& src = tensors.at(p.key());
    p.value().copy_(src);
    io::release_mapped_pages(src);
  }
  for (auto& b : module.named_buffers(true)) b.value().copy_(tensors.at(b.key()));
}

}  // namespace sdxl
