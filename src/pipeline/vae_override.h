// --vae PATH: a standalone autoencoder that replaces the checkpoint's VAE for decoding and img2img encoding,
// of either kind, told apart by its tensor names (as stable-diffusion.cpp detects architectures):
//  - AutoencoderKL: a diffusers vae/ folder, a lone file with LDM names (encoder.*/decoder.*, e.g.
//    sdxl_vae.safetensors or the fp16-fix VAE) or diffusers names, or any file with `first_stage_model.*` keys.
//  - AutoencoderTiny (TAESDXL): a diffusers folder whose config.json names AutoencoderTiny, a file with
//    encoder.layers.* / decoder.layers.* names, or madebyollin's taesdxl_decoder.safetensors (its
//    taesdxl_encoder.safetensors beside it is picked up for img2img).
#pragma once
#include <string>

#include "pipeline/device.h"
#include "vae/autoencoder.h"
#include "vae/tiny_autoencoder.h"
#include "weights/checkpoint.h"

namespace sdxl {

enum class VaeKind { AutoencoderKL, AutoencoderTiny };
const char* to_string(VaeKind kind);

struct VaeOverride {
  std::string path;
  VaeKind kind = VaeKind::AutoencoderKL;
  ComponentWeights kl;                // AutoencoderKL: canonical tensors and config
  StateDict tiny;                     // AutoencoderTiny: diffusers-named tensors (decoder, and encoder if found)
  TinyAutoencoderConfig tiny_config;
  bool tiny_has_encoder = false;
  bool force_upcast = true;  // the config's force_upcast: false marks a VAE made to run in fp16 (fp16-fix)
};

// Reads headers (tensor data stays mapped). Throws sdxl::Error naming the path when it holds no autoencoder.
VaeOverride open_vae_override(const std::string& path);

// The loaded models (exactly one is set).
struct SwappedVae {
  AutoencoderKL kl{nullptr};
  AutoencoderTiny tiny{nullptr};
};
SwappedVae load_vae_override(const VaeOverride& v, const Placement& placement);

}  // namespace sdxl
