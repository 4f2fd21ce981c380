// Shape and scaling settings of a diffusers AutoencoderKL, read from its config.json.
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace sdxl {

struct VaeConfig {
  int64_t in_channels = 3;
  int64_t out_channels = 3;
  std::vector<int64_t> block_out_channels;  // encoder order, e.g. SDXL [128,256,512,512]
  int64_t layers_per_block = 2;             // resnets per encoder block (decoder blocks have one more)
  int64_t latent_channels = 4;
  int64_t norm_num_groups = 32;
  double scaling_factor = 0.18215;                               // SDXL: 0.13025 (always read from the config)
  std::optional<double> shift_factor;                            // null for SDXL (used by SD3-style VAEs)
  std::optional<std::vector<double>> latents_mean, latents_std;  // null for SDXL (per-channel, length latent_channels)
  bool use_quant_conv = true;
  bool use_post_quant_conv = true;

  // Pixels per latent along each side: 2^(number of down/upsamplers) = 8 for SDXL.
  int64_t downscale() const { return int64_t{1} << (block_out_channels.size() - 1); }

  // Reads a diffusers AutoencoderKL config.json; `what` names the source in error messages.
  // Throws sdxl::Error naming the missing or invalid field.
  static VaeConfig from_json(const nlohmann::json& j, const std::string& what = "vae config");
};

}  // namespace sdxl
