#include "pipeline/reproducible.h"

#include <ATen/Context.h>

#include <cctype>
#include <cstdlib>

#include "common/error.h"

namespace sdxl {

const std::vector<std::pair<std::string, std::string>>& reproducible_environment() {
  static const std::vector<std::pair<std::string, std::string>> env = {
      {"MKL_CBWR", "AVX2,STRICT"}, {"ATEN_CPU_CAPABILITY", "avx2"}, {"ONEDNN_MAX_CPU_ISA", "AVX2"}};
  return env;
}

std::vector<std::string> reproducible_environment_missing() {
  std::vector<std::string> missing;
  for (const auto& [name, value] : reproducible_environment()) {
    const char* v = std::getenv(name.c_str());
    if (!v || value != v) missing.push_back(name);
  }
  return missing;
}

void enter_reproducible_mode(const std::string& device_type) {
  if (device_type != "cpu")
    throw usage_error("reproducible", "the reproducible mode is for the CPU; the device is " + device_type);
  const auto missing = reproducible_environment_missing();
  if (!missing.empty()) {
    std::string names;
    for (const auto& [name, value] : reproducible_environment()) names += (names.empty() ? "" : " ") + name + "=" + value;
    throw usage_error("reproducible", "needs " + names + " in the environment before the process starts (" +
                                          missing.front() + " is not)");
  }
  // Convolutions then take ATen's im2col + MKL GEMM path and linear layers MKL GEMM, both pinned by MKL_CBWR.
  at::globalContext().setUserEnabledMkldnn(false);
}

nlohmann::json reproducible_record() {
  nlohmann::json j = {{"onednn", "off"}};
  for (const auto& [name, value] : reproducible_environment()) {
    std::string key;
    for (char c : name) key += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    j[key] = value;
  }
  return j;
}

}  // namespace sdxl
