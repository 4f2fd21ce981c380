#include "pipeline/device.h"

#include <torch/cuda.h>

#include "common/error.h"
#include "pipeline/cpu_features.h"

namespace sdxl {

void synchronize(const at::Device& device) {
  if (device.is_cuda()) torch::cuda::synchronize(device.index());
}

static_assert(table_complete(kDeviceKindNames, DeviceKind::Cuda), "kDeviceKindNames must list every DeviceKind");
static_assert(table_complete(kDTypeNames, DType::Bf16), "kDTypeNames must list every DType");

DeviceChoice parse_device(const std::string& text) {
  if (auto kind = find_enum(kDeviceKindNames, text)) return DeviceChoice{*kind, -1};
  if (text.rfind("cuda", 0) == 0) {
    const std::string n = text.size() > 5 && text[4] == ':' ? text.substr(5) : "";
    const bool digits = !n.empty() && n.size() <= 4 && n.find_first_not_of("0123456789") == std::string::npos;
    if (!digits) throw usage_error("device", "invalid device '" + text + "'");
    return DeviceChoice{DeviceKind::Cuda, std::stoi(n)};
  }
  throw usage_error("device", "unknown device '" + text + "' (expected auto, cpu, cuda or cuda:N)");
}

std::string to_string(const DeviceChoice& d) {
  std::string out = enum_name(kDeviceKindNames, d.kind);
  if (d.kind == DeviceKind::Cuda && d.index >= 0) out += ":" + std::to_string(d.index);
  return out;
}

DType parse_dtype(const std::string& text, const std::string& field) {
  if (auto d = find_enum(kDTypeNames, text)) return *d;
  if (text == "float32") return DType::Fp32;
  if (text == "float16") return DType::Fp16;
  if (text == "bfloat16") return DType::Bf16;
  throw usage_error(field, "unknown dtype '" + text + "' (expected auto, fp32, fp16 or bf16)");
}

const char* to_string(DType d) { return enum_name(kDTypeNames, d); }

at::ScalarType scalar_type(DType dtype) {
  switch (dtype) {
    case DType::Fp16: return at::kHalf;
    case DType::Bf16: return at::kBFloat16;
    default: return at::kFloat;
  }
}

Placement resolve_placement(const DeviceChoice& device, DType dtype, DType vae_dtype) {
  Placement p;
  if (device.kind == DeviceKind::Auto) {
    p.device = torch::cuda::is_available() ? at::Device(at::kCUDA, 0) : at::Device(at::kCPU);
  } else if (device.kind == DeviceKind::Cpu) {
    p.device = at::kCPU;
  } else {
    const std::string name = to_string(device);
    if (!torch::cuda::is_available()) throw usage_error("device", name + ": no CUDA device is available");
    if (device.index >= static_cast<int>(torch::cuda::device_count()))
      throw usage_error("device", name + ": only " + std::to_string(torch::cuda::device_count()) + " CUDA device(s)");
    p.device =
        device.index >= 0 ? at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(device.index)) : at::Device(at::kCUDA);
  }
  const bool cuda = p.device.is_cuda();
  at::ScalarType cpu_auto = at::kFloat;
  if (!cuda && (dtype == DType::Auto || vae_dtype == DType::Auto)) {
    const CpuBf16 bf16 = detect_cpu_bf16();
    cpu_auto = bf16.native() ? at::kBFloat16 : at::kFloat;
    p.auto_reason = bf16.describe();
  }
  p.dtype = dtype == DType::Auto ? (cuda ? at::kHalf : cpu_auto) : scalar_type(dtype);
  p.vae_dtype = vae_dtype == DType::Auto ? (cuda ? at::kBFloat16 : cpu_auto) : scalar_type(vae_dtype);
  // fp32 on CUDA is asked for accuracy (it matches the CPU goldens): keep matmuls and convolutions in full
  // fp32 instead of libtorch's default TF32 convolutions, which round inputs to a 10-bit mantissa.
  if (cuda && (p.dtype == at::kFloat || p.vae_dtype == at::kFloat)) {
    at::globalContext().setAllowTF32CuBLAS(false);
    at::globalContext().setAllowTF32CuDNN(false);
  }
  return p;
}

}  // namespace sdxl
