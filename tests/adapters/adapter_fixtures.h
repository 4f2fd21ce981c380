// Shared set-up of the adapter tests: the golden cases (tests/adapters/data, made by make_adapter_goldens.py)
// and the tiny base model on the CPU in float32.
#pragma once
#include <string>

#include "pipeline/model_set.h"
#include "test_util.h"

namespace sdxl::test {

inline std::string adapter_data(const std::string& name) { return std::string(SDXL_SOURCE_DIR) + "/tests/adapters/data/" + name; }
inline const nlohmann::json& adapter_cases() {
  static const nlohmann::json j = read_json(adapter_data("cases.json"));
  return j;
}
inline const std::map<std::string, at::Tensor>& adapter_goldens() {
  static const auto g = load_golden_abs(adapter_data("goldens.safetensors"));
  return g;
}
// The report line's counts for a case, from what the reference changed: "234/234 tensors (unet 192, te1 18, te2 24)".
inline std::string expected_counts(const nlohmann::json& c) {
  std::string parts;
  for (const char* k : {"unet", "te1", "te2"})
    if (c["per_component"].contains(k))
      parts += (parts.empty() ? "" : ", ") + std::string(k) + " " + std::to_string(c["per_component"][k].get<int>());
  const std::string n = std::to_string(c["tensors"].get<int>());
  return n + "/" + n + " tensors (" + parts + ")";
}
inline const nlohmann::json& adapter_case(const std::string& name) {
  for (const auto& c : adapter_cases()["cases"])
    if (c["name"] == name) return c;
  throw std::runtime_error("no adapter case " + name);
}

inline std::unique_ptr<ModelSet> tiny_base() {
  return std::make_unique<ModelSet>(fixture("tiny-sdxl"), "", resolve_placement(DeviceChoice{DeviceKind::Cpu}, DType::Fp32, DType::Fp32));
}

}  // namespace sdxl::test
