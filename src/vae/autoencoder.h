// diffusers AutoencoderKL: encoder + quant_conv -> diagonal Gaussian posterior; post_quant_conv + decoder -> image.
// Latents outside this class are in "pipeline space" (what the UNet sees): z_vae = latents / scaling_factor.
#pragma once
#include <torch/torch.h>

#include <string>

#include "vae/decoder.h"
#include "vae/encoder.h"
#include "vae/vae_config.h"

namespace sdxl {

// DiagonalGaussianDistribution of the encoder (float32, on the VAE's device, VAE space = unscaled).
struct Posterior {
  at::Tensor mean, logvar;  // logvar already clamped to [-30, 20]
  at::Tensor stddev() const { return at::exp(0.5 * logvar); }
  // mean + std * noise; `noise` (same shape, any device/dtype) is drawn by the caller, e.g. seeded on the CPU.
  at::Tensor sample(const at::Tensor& noise) const;
};

// Tiled decoding bounds peak memory for large images: overlapping latent tiles are decoded independently and
// cross-faded. Off by default; when on, a latent that fits in one tile is decoded in one piece (exactly as plain).
struct VaeTiling {
  bool enabled = false;
  int64_t tile_latent = 64;     // tile side in latent pixels (64 -> 512 px)
  int64_t overlap_latent = 16;  // overlap between neighbouring tiles in latent pixels (< tile_latent)
};

struct AutoencoderKLImpl : torch::nn::Module {
  // Parameters are allocated uninitialised in `options` (dtype + device) and must be filled by
  // load_state_dict (weights/state_dict.h); the latent-space conversions below need no weights.
  AutoencoderKLImpl(const VaeConfig& config, const at::TensorOptions& options);

  const VaeConfig& config() const { return config_; }
  at::ScalarType dtype() const;  // of the weights (the VAE may run in another dtype than the UNet)
  at::Device device() const;

  // Pipeline-space latents [B,latent,h,w] (any dtype/device) -> image [B,out,h*f,w*f] float32 on the VAE's
  // device, nominally in [-1,1], not clamped. Decodes one image at a time. Throws sdxl::Error when the
  // latents or the decoded image hold NaN/inf (the SDXL VAE overflows in fp16).
  at::Tensor decode(const at::Tensor& latents, const VaeTiling& tiling = {});
  // Same as decode with tiling enabled.
  at::Tensor decode_tiled(const at::Tensor& latents, int64_t tile_latent = 64, int64_t overlap_latent = 16);
  // Image [B,in,H,W] in [-1,1] (any dtype/device) -> posterior in VAE space. H and W must be multiples of f.
  Posterior encode(const at::Tensor& image);

  // Conversions between VAE space and pipeline space: x * scaling_factor for SDXL
  // (diffusers: with latents_mean/std, (x - mean) * scaling / std; with shift_factor, (x - shift) * scaling).
  at::Tensor to_pipeline_space(const at::Tensor& vae_latents) const;
  at::Tensor to_vae_space(const at::Tensor& latents) const;

  // One image, no checks, VAE-space input, for tests and the tiler: records intermediate outputs into `acts`
  // ("post_quant_conv", "decoder.*" / "encoder.*", "quant_conv") when given. Outputs are in the VAE's dtype.
  at::Tensor decode_vae_space(const at::Tensor& z, VaeActivations* acts = nullptr);
  at::Tensor encode_moments(const at::Tensor& image, VaeActivations* acts = nullptr);

  VaeEncoder encoder{nullptr};
  VaeDecoder decoder{nullptr};
  Conv2d quant_conv{nullptr}, post_quant_conv{nullptr};

 private:
  VaeConfig config_;
};
TORCH_MODULE(AutoencoderKL);

// Builds the VAE from a diffusers folder (config.json + diffusion_pytorch_model[.fp16].safetensors) in the
// given dtype and device; strict load (throws sdxl::Error naming missing/unexpected keys).
AutoencoderKL load_autoencoder_kl(const std::string& folder, at::ScalarType dtype = at::kFloat,
                                  at::Device device = at::kCPU);

}  // namespace sdxl
