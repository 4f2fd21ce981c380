// Seeded Gaussian noise drawn on the CPU in float32, bit-identical to
// torch.randn(shape, generator=torch.Generator("cpu").manual_seed(seed)), then moved to the target device and
// dtype: the same seed gives the same image on any device, up to arithmetic.
#pragma once
#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

namespace sdxl {

class NoiseSource {
 public:
  // One generator; every draw covers the whole batch (diffusers' num_images_per_prompt: image k is the k-th
  // slice of one randn([B, ...]) call).
  static NoiseSource batched(uint64_t seed);
  // One generator per image, seeded seed, seed+1, ...; a draw of shape [B, ...] stacks one randn([1, ...]) per
  // image, so image k equals a single-image run with seed + k (sdxl-gen's default).
  static NoiseSource per_image(uint64_t seed, int64_t batch);

  // Generators hold state; a copy would silently share it, so sources only move.
  NoiseSource(NoiseSource&&) = default;
  NoiseSource& operator=(NoiseSource&&) = default;
  NoiseSource(const NoiseSource&) = delete;
  NoiseSource& operator=(const NoiseSource&) = delete;

  // Standard normal noise of `shape`, drawn in float32 on the CPU, returned with `target`'s device and dtype
  // (default: float32 CPU). Per-image sources require shape[0] == batch.
  at::Tensor randn(at::IntArrayRef shape, const at::TensorOptions& target = at::TensorOptions());

  uint64_t seed() const { return seed_; }

 private:
  NoiseSource(uint64_t seed, bool per_image, int64_t generators);
  uint64_t seed_;
  bool per_image_;
  std::vector<at::Generator> generators_;
};

}  // namespace sdxl
