// How much memory a request needs at least, from the model configs and the request alone (checkpoint
// headers only, no weights read), so that a size which cannot fit is refused before anything loads rather
// than minutes later by the allocator. A lower bound on purpose: only the tensors that must be alive together
// at the peak are counted, so a request that fits is never refused.
#pragma once
#include <cstdint>
#include <algorithm>
#include <optional>
#include <string>

#include "sdxl/pipeline.h"
#include "sdxl/request.h"

namespace sdxl {

struct MemoryEstimate {
  uint64_t weights = 0;  // the largest model's parameters that loading converts to the run's dtype
  uint64_t unet = 0;     // UNet activations at its full-resolution level (the skips the up blocks read back)
  uint64_t vae = 0;      // VAE decoder activations at full resolution (one tile with vae_tiling)
  uint64_t images = 0;   // the decoded float images and their 8-bit copies
  uint64_t total() const { return weights + std::max(unet, vae) + images; }
  std::string describe() const;  // "41.2 GiB (weights 0.0, UNet 6.1, VAE decode 30.0, images 3.2 GiB)"
};

// Reads the model's configs and parameter counts once (`options.model` resolved to a path or "tiny"), then
// estimates each request a pipeline with `options` would run.
class MemoryEstimator {
 public:
  explicit MemoryEstimator(const PipelineOptions& options);
  MemoryEstimate operator()(const GenerationRequest& r) const;

 private:
  uint64_t unet_bytes_ = 4, vae_bytes_ = 4;  // per element in the run's dtypes
  uint64_t weights_ = 0;
  uint64_t unet_channels_ = 0, unet_tensors_ = 0;  // level 0: width, tensors alive at once
  uint64_t vae_channels_ = 0;                      // full resolution: channels alive at once (0: not counted)
};

// MemAvailable of /proc/meminfo in bytes; nullopt where it cannot be read.
std::optional<uint64_t> available_memory();

}  // namespace sdxl
