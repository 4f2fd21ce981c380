#include "cli/version.h"

#include <ATen/Version.h>
#include <torch/cuda.h>
#include <torch/version.h>

#include <fstream>
#include <sstream>

namespace sdxl::cli {
namespace {

// CPU feature flags as the kernel reports them (/proc/cpuinfo "flags"): what oneDNN and libtorch's
// kernels can use for fp32/bf16 work.
std::string cpu_features() {
  std::ifstream in("/proc/cpuinfo");
  std::string flags;
  for (std::string line; std::getline(in, line);)
    if (line.rfind("flags", 0) == 0) {
      flags = " " + line.substr(line.find(':') + 1) + " ";
      break;
    }
  if (flags.empty()) return "unknown";
  static const std::pair<const char*, const char*> kFeatures[] = {
      {"avx2", "AVX2"}, {"avx512f", "AVX-512"}, {"avx512_bf16", "AVX-512 BF16"}, {"amx_bf16", "AMX BF16"}};
  std::string out;
  for (const auto& [flag, name] : kFeatures)
    if (flags.find(std::string(" ") + flag + " ") != std::string::npos) out += (out.empty() ? "" : ", ") + std::string(name);
  return out.empty() ? "none of AVX2, AVX-512, AVX-512 BF16, AMX" : out;
}

}  // namespace

std::string version_line() { return std::string("sdxl-gen ") + SDXL_GEN_VERSION + " (" + SDXL_GEN_COMMIT + ")"; }

std::string version_report() {
  std::ostringstream o;
  o << "sdxl-gen " << SDXL_GEN_VERSION << "\n"
    << "commit: " << SDXL_GEN_COMMIT << "\n"
    << "libtorch: " << TORCH_VERSION << "\n"
    << "CUDA: " << (torch::cuda::is_available() ? std::to_string(torch::cuda::device_count()) + " device(s)" : "not available")
    << ", cuDNN: " << (torch::cuda::cudnn_is_available() ? "available" : "not available") << "\n"
    << "CPU kernels: " << at::get_cpu_capability() << "; CPU features: " << cpu_features() << "\n";
  return o.str();
}

}  // namespace sdxl::cli
