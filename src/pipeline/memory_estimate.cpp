#include "pipeline/memory_estimate.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "pipeline/device.h"
#include "pipeline/denoise.h"
#include "pipeline/hires.h"
#include "unet/config.h"
#include "vae/vae_config.h"
#include "weights/checkpoint.h"

namespace sdxl {
namespace {

std::string gib(uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", static_cast<double>(bytes) / (1024.0 * 1024.0 * 1024.0));
  return buf;
}

// Bytes of the parameters that loading converts to `dtype`: tensors stored in it stay views of the mapped
// file, which the kernel can page out (they are not counted, as MemAvailable does not count them either).
uint64_t converted_bytes(const ComponentWeights& c, at::ScalarType dtype) {
  uint64_t n = 0;
  for (const auto& [name, t] : c.tensors)
    if (t.scalar_type() != dtype) n += static_cast<uint64_t>(t.numel()) * c10::elementSize(dtype);
  return n;
}

}  // namespace

std::string MemoryEstimate::describe() const {
  return gib(total()) + " GiB (weights " + gib(weights) + ", UNet " + gib(unet) + ", VAE decode " + gib(vae) +
         ", images " + gib(images) + " GiB)";
}

MemoryEstimator::MemoryEstimator(const PipelineOptions& options) {
  const Placement p = resolve_placement(options.device, options.dtype, options.vae_dtype);
  unet_bytes_ = c10::elementSize(p.dtype);
  vae_bytes_ = c10::elementSize(p.vae_dtype);
  const Checkpoint ckpt = open_checkpoint(options.model, options.config_dir);
  for (const auto& [name, c] : ckpt.components)
    weights_ = std::max(weights_, converted_bytes(c, name == "vae" ? p.vae_dtype : p.dtype));
  if (auto it = ckpt.components.find("unet"); it != ckpt.components.end()) {
    const UNetConfig u = UNetConfig::from_json(it->second.config, it->second.config_source);
    // Level 0 keeps conv_in's output and each resnet's as skips, plus the block's input and output.
    unet_channels_ = static_cast<uint64_t>(u.block_out_channels.at(0));
    unet_tensors_ = static_cast<uint64_t>(u.layers_per_block.at(0)) + 3;
  }
  // A standalone VAE (options.vae) is not counted: its kind is known only once it is opened.
  if (auto it = ckpt.components.find("vae"); it != ckpt.components.end() && options.vae.empty()) {
    const VaeConfig v = VaeConfig::from_json(it->second.config, it->second.config_source);
    // At full resolution the last-but-one up block's upsampled output and the last block's first resnet
    // output are alive together.
    const auto& ch = v.block_out_channels;
    vae_channels_ = static_cast<uint64_t>(ch.at(0)) + static_cast<uint64_t>(ch.size() > 1 ? ch[1] : ch[0]);
  }
}

MemoryEstimate MemoryEstimator::operator()(const GenerationRequest& r) const {
  MemoryEstimate e;
  e.weights = weights_;
  // The largest pass runs at the hires size.
  const Size size = r.hires.scale ? hires_size(r.sampling.size, *r.hires.scale) : r.sampling.size;
  const uint64_t pixels = static_cast<uint64_t>(size.width) * static_cast<uint64_t>(size.height);
  const uint64_t images = static_cast<uint64_t>(r.sampling.num_images);
  // A shared-noise batch runs its images as one UNet batch; CFG doubles the rows (denoise.h).
  const uint64_t rows =
      (r.sampling.batch_noise == BatchNoise::Shared ? images : 1) * (uses_cfg(r.sampling.cfg) ? 2 : 1);
  e.unet = rows * (pixels / 64) * unet_channels_ * unet_tensors_ * unet_bytes_;
  // One image at a time; with vae_tiling one tile (64 latent px, 512 image px a side).
  const uint64_t decoded = r.output.vae_tiling ? std::min<uint64_t>(pixels, 512 * 512) : pixels;
  e.vae = decoded * vae_channels_ * vae_bytes_;
  e.images = images * pixels * (3 * 4 + 3);  // float32 [3,H,W] decoded and uint8 [H,W,3]
  return e;
}

std::optional<uint64_t> available_memory() {
  std::ifstream in("/proc/meminfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream s(line);
    std::string key;
    uint64_t kib = 0;
    if (s >> key >> kib && key == "MemAvailable:") return kib * 1024;
  }
  return std::nullopt;
}

}  // namespace sdxl
