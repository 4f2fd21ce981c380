// Which autoencoder a pipeline encodes init images and decodes latents with, in one place: --vae's standalone
// model (an AutoencoderKL, or an AutoencoderTiny which then also draws the previews), else the checkpoint's
// own VAE (a refiner folder without one borrows the base's, as diffusers' refiner pipelines share `vae`).
// Previews use --preview-vae (an AutoencoderTiny) when given, else a tiny --vae, else latent-to-RGB.
#pragma once
#include <ATen/ATen.h>

#include <optional>
#include <string>

#include "pipeline/device.h"
#include "pipeline/model_set.h"
#include "pipeline/vae_override.h"
#include "sampling/noise.h"
#include "vae/autoencoder.h"
#include "vae/tiny_autoencoder.h"

namespace sdxl {

class VaeChoice {
 public:
  // Opens --vae and --preview-vae (headers only; "" for none): input errors name the option. A VAE made for
  // fp16 (config force_upcast false: the fp16-fix VAE, the tiny autoencoder) turns `placement`'s VAE dtype to
  // fp16 on CUDA when `vae_dtype` is auto.
  VaeChoice(const std::string& vae, const std::string& preview_vae, DType vae_dtype, Placement& placement);

  // The checkpoints whose VAE serves without --vae: `base`'s, else `refiner`'s (may be null). They must
  // outlive this object.
  void set_checkpoints(ModelSet* base, ModelSet* refiner);

  // Loads the autoencoder in use now (without --low-memory, everything loads up front).
  void load();
  // Pixels per latent along each side (8 for SDXL), from the config of the autoencoder in use, without loading.
  int64_t downscale() const;
  // The full VAE: --vae's AutoencoderKL, else the checkpoint's. A tiny --vae is a usage error (inpainting
  // needs the posterior and the 4-channel mask latents of the full model).
  AutoencoderKL& full();
  // Pixels [B,3,H,W] in [-1,1] -> pipeline-space latents in `out`'s device/dtype: the tiny encoder's output as
  // is (diffusers retrieve_latents on AutoencoderTiny: no posterior, no noise drawn), else a posterior sample
  // of the full VAE (its noise drawn from `noise`), scaled.
  at::Tensor encode(const at::Tensor& pixels, NoiseSource& noise, const at::TensorOptions& out);
  // One image's latents [1,C,h,w] -> float pixels in [-1,1].
  at::Tensor decode(const at::Tensor& latent, const VaeTiling& tiling);
  // The first image's denoised estimate x0 as uint8 [H,W,3]: a tiny autoencoder's decode, else latent-to-RGB.
  at::Tensor preview(const at::Tensor& x0);

  // With --vae: its path and kind for the PNG metadata's runtime record.
  void record(nlohmann::json& runtime) const;
  double load_s() const { return load_s_; }  // seconds spent loading --vae

 private:
  AutoencoderTiny tiny();  // the tiny --vae, or null
  void ensure_override();

  Placement placement_;
  ModelSet* base_ = nullptr;
  ModelSet* refiner_ = nullptr;
  std::optional<VaeOverride> override_;  // --vae
  SwappedVae swapped_;                   // loaded on first use
  std::optional<VaeOverride> preview_override_;  // --preview-vae
  AutoencoderTiny preview_tiny_{nullptr};
  double load_s_ = 0;
};

}  // namespace sdxl
