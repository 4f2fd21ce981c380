#include "pipeline/vae_choice.h"

#include "common/error.h"
#include "common/stopwatch.h"
#include "pipeline/inpaint.h"
#include "pipeline/preview.h"
#include "vae/postprocess.h"

namespace sdxl {

VaeChoice::VaeChoice(const std::string& vae, const std::string& preview_vae, DType vae_dtype, Placement& placement) {
  if (!vae.empty()) {
    try {
      override_ = open_vae_override(vae);
    } catch (const Error& e) {
      throw input_error("vae", e.what());
    }
    // diffusers upcasts only a VAE whose config asks for it (force_upcast); one made to run in fp16 keeps fp16
    // on CUDA instead of the bf16 the SDXL VAE needs there.
    if (placement.device.is_cuda() && vae_dtype == DType::Auto && !override_->force_upcast)
      placement.vae_dtype = at::kHalf;
  }
  if (!preview_vae.empty()) {
    try {
      preview_override_ = open_vae_override(preview_vae);
    } catch (const Error& e) {
      throw input_error("preview_vae", e.what());
    }
    if (preview_override_->kind != VaeKind::AutoencoderTiny)
      throw usage_error("preview_vae", preview_vae + " is not an AutoencoderTiny (TAESDXL); previews need the "
                                       "tiny autoencoder (the full VAE would cost as much as a final decode)");
  }
  placement_ = placement;
}

void VaeChoice::set_checkpoints(ModelSet* base, ModelSet* refiner) {
  base_ = base;
  refiner_ = refiner;
}

void VaeChoice::load() {
  if (override_) ensure_override();
  else if (base_->has_vae()) base_->ensure_vae();
}

int64_t VaeChoice::downscale() const {
  if (override_)
    return override_->kind == VaeKind::AutoencoderTiny
               ? override_->tiny_config.downscale()
               : VaeConfig::from_json(override_->kl.config, override_->path + ": vae config").downscale();
  const ModelSet& owner = base_->has_vae() || !refiner_ ? *base_ : *refiner_;
  if (!owner.has_vae()) throw Error(ErrorCategory::Input, "", owner.path + ": the checkpoint has no VAE");
  return VaeConfig::from_json(owner.checkpoint.components.at("vae").config, owner.path + ": vae config").downscale();
}

void VaeChoice::ensure_override() {
  if (swapped_.kl || swapped_.tiny) return;
  Stopwatch timer;
  swapped_ = load_vae_override(*override_, placement_);
  load_s_ += timer.seconds();
}

AutoencoderTiny VaeChoice::tiny() {
  if (!override_ || override_->kind != VaeKind::AutoencoderTiny) return nullptr;
  ensure_override();
  return swapped_.tiny;
}

AutoencoderKL& VaeChoice::full() {
  if (override_) {
    if (override_->kind != VaeKind::AutoencoderKL)
      throw usage_error("vae", override_->path + " is a tiny autoencoder; inpainting needs the full VAE");
    ensure_override();
    return swapped_.kl;
  }
  if (base_->has_vae() || !refiner_) return base_->ensure_vae();
  return refiner_->ensure_vae();
}

at::Tensor VaeChoice::encode(const at::Tensor& pixels, NoiseSource& noise, const at::TensorOptions& out) {
  if (AutoencoderTiny t = tiny()) return t->encode(pixels).to(out);
  return encode_init_image(full(), pixels, noise, out);
}

at::Tensor VaeChoice::decode(const at::Tensor& latent, const VaeTiling& tiling) {
  if (AutoencoderTiny t = tiny()) return t->decode(latent);
  return full()->decode(latent, tiling);
}

at::Tensor VaeChoice::preview(const at::Tensor& x0) {
  const at::Tensor one = x0.narrow(0, 0, 1);
  if (preview_override_ && !preview_tiny_) preview_tiny_ = load_vae_override(*preview_override_, placement_).tiny;
  AutoencoderTiny t = preview_tiny_ ? preview_tiny_ : tiny();
  return (t ? image_to_uint8(t->decode(one).to(at::kCPU)) : latent_rgb_preview(one))[0];
}

void VaeChoice::record(nlohmann::json& runtime) const {
  if (!override_) return;
  runtime["vae"] = override_->path;
  runtime["vae_kind"] = to_string(override_->kind);
}

}  // namespace sdxl
