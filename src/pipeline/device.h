// --device / --dtype names -> libtorch device and dtypes, with the defaults the issue tracker agreed on:
// CPU runs bf16 where the CPU has native BF16 (AVX-512 BF16 or AMX, pipeline/cpu_features.h) and fp32 elsewhere,
// UNet, text encoders and VAE alike (the bf16 VAE stays within the tolerance PipelineLowPrecision tests);
// CUDA runs the UNet and text encoders in fp16 and the VAE in bf16 (the SDXL VAE overflows in fp16).
#pragma once
#include <ATen/ATen.h>

#include <string>

#include "sdxl/pipeline.h"

namespace sdxl {

struct Placement {
  at::Device device = at::kCPU;
  at::ScalarType dtype = at::kFloat;      // UNet and text encoders
  at::ScalarType vae_dtype = at::kFloat;  // VAE
  std::string auto_reason;                // set when "auto" chose a CPU dtype: why (the CPU's BF16 support)
};

// Throws a usage sdxl::Error naming the option for cuda when no (such) GPU is present.
Placement resolve_placement(const DeviceChoice& device, DType dtype, DType vae_dtype);
// The libtorch type of a dtype other than Auto.
at::ScalarType scalar_type(DType dtype);

// Waits for the device's queued work (a no-op on CPU), so wall-clock timings cover it.
void synchronize(const at::Device& device);

}  // namespace sdxl
