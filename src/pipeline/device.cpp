#include "pipeline/device.h"

#include <torch/cuda.h>

#include "common/error.h"
#include "pipeline/cpu_features.h"

namespace sdxl {

void synchronize(const at::Device& device) {
  if (device.is_cuda()) torch::cuda::synchronize(device.index());
}

at::ScalarType parse_dtype(const std::string& name, const std::string& flag) {
  if (name == "fp32" || name == "float32") return at::kFloat;
  if (name == "fp16" || name == "float16") return at::kHalf;
  if (name == "bf16" || name == "bfloat16") return at::kBFloat16;
  throw usage_error(flag, "unknown dtype '" + name + "' (expected auto, fp32, fp16 or bf16)");
}

Placement resolve_placement(const std::string& device, const std::string& dtype, const std::string& vae_dtype) {
  Placement p;
  if (device == "auto") {
    p.device = torch::cuda::is_available() ? at::Device(at::kCUDA, 0) : at::Device(at::kCPU);
  } else if (device == "cpu") {
    p.device = at::kCPU;
  } else if (device.rfind("cuda", 0) == 0) {
    try {
      p.device = at::Device(device);
    } catch (const std::exception&) {
      throw usage_error("device", "invalid device '" + device + "'");
    }
    if (!torch::cuda::is_available()) throw usage_error("device", device + ": no CUDA device is available");
    if (p.device.has_index() && p.device.index() >= static_cast<int>(torch::cuda::device_count()))
      throw usage_error("device", device + ": only " + std::to_string(torch::cuda::device_count()) + " CUDA device(s)");
  } else {
    throw usage_error("device", "unknown device '" + device + "' (expected auto, cpu, cuda or cuda:N)");
  }
  const bool cuda = p.device.is_cuda();
  at::ScalarType cpu_auto = at::kFloat;
  if (!cuda && (dtype == "auto" || vae_dtype == "auto")) {
    const CpuBf16 bf16 = detect_cpu_bf16();
    cpu_auto = bf16.native() ? at::kBFloat16 : at::kFloat;
    p.auto_reason = bf16.describe();
  }
  p.dtype = dtype == "auto" ? (cuda ? at::kHalf : cpu_auto) : parse_dtype(dtype, "dtype");
  p.vae_dtype = vae_dtype == "auto" ? (cuda ? at::kBFloat16 : cpu_auto) : parse_dtype(vae_dtype, "vae_dtype");
  // fp32 on CUDA is asked for accuracy (it matches the CPU goldens): keep matmuls and convolutions in full
  // fp32 instead of libtorch's default TF32 convolutions, which round inputs to a 10-bit mantissa.
  if (cuda && (p.dtype == at::kFloat || p.vae_dtype == at::kFloat)) {
    at::globalContext().setAllowTF32CuBLAS(false);
    at::globalContext().setAllowTF32CuDNN(false);
  }
  return p;
}

}  // namespace sdxl
