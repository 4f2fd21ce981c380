#include "vae/autoencoder.h"

#include <filesystem>
#include <sstream>

#include "common/error.h"
#include "io/atomic_file.h"
#include "io/safetensors.h"
#include "vae/tiled_decode.h"
#include "weights/state_dict.h"

namespace sdxl {
namespace {

std::string dtype_name(at::ScalarType t) {
  switch (t) {
    case at::kFloat:
      return "fp32";
    case at::kHalf:
      return "fp16";
    case at::kBFloat16:
      return "bf16";
    default:
      return c10::toString(t);
  }
}

int64_t count_non_finite(const at::Tensor& t) { return (~at::isfinite(t)).sum().item<int64_t>(); }

// Per-channel constant [1,C,1,1] in float32 on `like`'s device.
at::Tensor channel_constant(const std::vector<double>& values, const at::Tensor& like) {
  return at::tensor(values, at::TensorOptions().dtype(at::kDouble))
      .to(like.device(), at::kFloat)
      .reshape({1, -1, 1, 1});
}

}  // namespace

at::Tensor Posterior::sample(const at::Tensor& noise) const {
  if (noise.sizes() != mean.sizes()) {
    std::ostringstream o;
    o << "VAE posterior sample: noise shape " << noise.sizes() << " does not match the latent shape " << mean.sizes();
    throw Error(ErrorCategory::Input, "", o.str());
  }
  return mean + stddev() * noise.to(mean.device(), mean.scalar_type());
}

AutoencoderKLImpl::AutoencoderKLImpl(const VaeConfig& config, const at::TensorOptions& options) : config_(config) {
  encoder = register_module("encoder", VaeEncoder(config, options));
  decoder = register_module("decoder", VaeDecoder(config, options));
  const int64_t latent = config.latent_channels;
  if (config.use_quant_conv)
    quant_conv = register_module("quant_conv", Conv2d(2 * latent, 2 * latent, 1, 1, 0, options));
  if (config.use_post_quant_conv)
    post_quant_conv = register_module("post_quant_conv", Conv2d(latent, latent, 1, 1, 0, options));
  use_channels_last(*this);
}

at::ScalarType AutoencoderKLImpl::dtype() const { return decoder->conv_in->weight.scalar_type(); }
at::Device AutoencoderKLImpl::device() const { return decoder->conv_in->weight.device(); }

at::Tensor AutoencoderKLImpl::to_vae_space(const at::Tensor& latents) const {
  at::Tensor x = latents.to(at::kFloat);
  if (config_.latents_mean)  // diffusers SDXL pipeline: latents * std / scaling + mean
    return x * channel_constant(*config_.latents_std, x) / config_.scaling_factor +
           channel_constant(*config_.latents_mean, x);
  x = x / config_.scaling_factor;
  return config_.shift_factor ? x + *config_.shift_factor : x;
}

at::Tensor AutoencoderKLImpl::to_pipeline_space(const at::Tensor& vae_latents) const {
  at::Tensor x = vae_latents.to(at::kFloat);
  if (config_.latents_mean)
    return (x - channel_constant(*config_.latents_mean, x)) * config_.scaling_factor /
           channel_constant(*config_.latents_std, x);
  if (config_.shift_factor) x = x - *config_.shift_factor;
  return x * config_.scaling_factor;
}

at::Tensor AutoencoderKLImpl::decode_vae_space(const at::Tensor& z, VaeActivations* acts) {
  at::Tensor x = z.to(device(), dtype());
  if (post_quant_conv) x = post_quant_conv(x);
  if (acts) (*acts)["post_quant_conv"] = x;
  return decoder(x, acts);
}

at::Tensor AutoencoderKLImpl::encode_moments(const at::Tensor& image, VaeActivations* acts) {
  at::Tensor x = encoder(image.to(device(), dtype()), acts);
  if (quant_conv) x = quant_conv(x);
  if (acts) (*acts)["quant_conv"] = x;
  return x.contiguous();  // NCHW whatever layout the convolutions used
}

at::Tensor AutoencoderKLImpl::decode(const at::Tensor& latents, const VaeTiling& tiling) {
  if (latents.dim() != 4 || latents.size(1) != config_.latent_channels) {
    std::ostringstream o;
    o << "VAE decode: expected latents [B," << config_.latent_channels << ",h,w], got " << latents.sizes();
    throw Error(ErrorCategory::Input, "", o.str());
  }
  if (int64_t bad = count_non_finite(latents))
    throw Error(ErrorCategory::Generation, "dtype",
                "the latents hold " + std::to_string(bad) +
                    " NaN/inf values before VAE decoding (the UNet or sampler diverged; try fp32)");

  torch::NoGradGuard no_grad;  // inference only, also when the caller is not under InferenceMode
  const int64_t f = config_.downscale();
  auto decode_tile = [&](const at::Tensor& z) { return decode_vae_space(z).to(at::kFloat); };
  std::vector<at::Tensor> images;
  for (int64_t i = 0; i < latents.size(0); ++i) {  // one image at a time bounds activation memory
    at::Tensor z = to_vae_space(latents.slice(0, i, i + 1));
    images.push_back(tiling.enabled ? decode_in_tiles(z, tiling, f, decode_tile) : decode_tile(z));
  }
  at::Tensor image = at::cat(images, 0);

  if (int64_t bad = count_non_finite(image)) {
    std::string hint = dtype() == at::kHalf ? "the SDXL VAE overflows in fp16: use fp32 or bf16"
                                            : "check the VAE weights, or use fp32";
    throw Error(ErrorCategory::Generation, "vae_dtype",
                "VAE decode produced " + std::to_string(bad) + " NaN/inf values of " + std::to_string(image.numel()) +
                    " running in " + dtype_name(dtype()) + "; " + hint);
  }
  return image;
}

at::Tensor AutoencoderKLImpl::decode_tiled(const at::Tensor& latents, int64_t tile_latent, int64_t overlap_latent) {
  return decode(latents, VaeTiling{true, tile_latent, overlap_latent});
}

Posterior AutoencoderKLImpl::encode(const at::Tensor& image) {
  const int64_t f = config_.downscale();
  if (image.dim() != 4 || image.size(1) != config_.in_channels || image.size(2) % f || image.size(3) % f) {
    std::ostringstream o;
    o << "VAE encode: expected an image [B," << config_.in_channels << ",H,W] with H and W multiples of " << f
      << ", got " << image.sizes();
    throw Error(ErrorCategory::Input, "", o.str());
  }
  torch::NoGradGuard no_grad;
  std::vector<at::Tensor> moments;
  for (int64_t i = 0; i < image.size(0); ++i)
    moments.push_back(encode_moments(image.slice(0, i, i + 1)).to(at::kFloat));
  at::Tensor m = at::cat(moments, 0);
  if (int64_t bad = count_non_finite(m))
    throw Error(ErrorCategory::Generation, "vae_dtype",
                "VAE encode produced " + std::to_string(bad) + " NaN/inf values running in " + dtype_name(dtype()) +
                    (dtype() == at::kHalf ? "; the SDXL VAE overflows in fp16: use fp32 or bf16" : ""));
  auto parts = m.chunk(2, 1);
  return Posterior{parts[0], at::clamp(parts[1], -30.0, 20.0)};
}

AutoencoderKL load_autoencoder_kl(const std::string& folder, at::ScalarType dtype, at::Device device) {
  namespace fs = std::filesystem;
  const std::string config_path = (fs::path(folder) / "config.json").string();
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(io::read_file(config_path));
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorCategory::Input, "", config_path + ": invalid JSON: " + e.what());
  }
  AutoencoderKL vae(VaeConfig::from_json(j, config_path), at::TensorOptions().dtype(dtype).device(device));

  std::string weights_path;
  for (const char* name : {"diffusion_pytorch_model.safetensors", "diffusion_pytorch_model.fp16.safetensors"}) {
    if (fs::exists(fs::path(folder) / name)) {
      weights_path = (fs::path(folder) / name).string();
      break;
    }
  }
  if (weights_path.empty()) throw Error(ErrorCategory::Input, "", folder + ": no diffusion_pytorch_model[.fp16].safetensors in the VAE folder");
  auto file = io::SafetensorsFile::open(weights_path);
  StateDict tensors;
  for (const auto& t : file->tensors()) tensors[t.name] = file->tensor(t.name);

  load_state_dict(*vae, tensors, "vae from " + weights_path);
  vae->eval();
  return vae;
}

}  // namespace sdxl
