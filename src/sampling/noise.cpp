#include "sampling/noise.h"

#include <ATen/CPUGeneratorImpl.h>

#include "common/error.h"

namespace sdxl {

NoiseSource::NoiseSource(uint64_t seed, bool per_image, int64_t generators) : seed_(seed), per_image_(per_image) {
  if (generators < 1) throw Error(ErrorCategory::Input, "", "noise: batch size must be at least 1, got " + std::to_string(generators));
  for (int64_t i = 0; i < generators; ++i)
    generators_.push_back(at::make_generator<at::CPUGeneratorImpl>(seed + static_cast<uint64_t>(i)));
}

NoiseSource NoiseSource::batched(uint64_t seed) { return NoiseSource(seed, false, 1); }
NoiseSource NoiseSource::per_image(uint64_t seed, int64_t batch) { return NoiseSource(seed, true, batch); }

at::Tensor NoiseSource::randn(at::IntArrayRef shape, const at::TensorOptions& target) {
  const auto cpu_f32 = at::TensorOptions().dtype(at::kFloat).device(at::kCPU);
  at::Tensor noise;
  if (!per_image_) {
    noise = at::randn(shape, generators_[0], cpu_f32);
  } else {
    const int64_t batch = static_cast<int64_t>(generators_.size());
    if (shape.empty() || shape[0] != batch)
      throw Error(ErrorCategory::Input, "", "noise: per-image source for " + std::to_string(batch) + " images asked for shape " +
                  c10::str(shape));
    std::vector<int64_t> one(shape.begin(), shape.end());
    one[0] = 1;
    std::vector<at::Tensor> slices;
    for (auto& g : generators_) slices.push_back(at::randn(one, g, cpu_f32));
    noise = at::cat(slices, 0);
  }
  // Drawn on the CPU so a seed gives the same image on every device. Uploading from pinned memory without
  // blocking keeps the host from waiting for the GPU's queued work at every ancestral step.
  if (target.device().is_cuda())
    return noise.pin_memory().to(target.device(), target.dtype().toScalarType(), /*non_blocking=*/true);
  return noise.to(target.device(), target.dtype().toScalarType());
}

}  // namespace sdxl
