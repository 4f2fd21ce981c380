// One checkpoint's models, built from its canonical tensors and configs and placed on the device once.
// The pipeline keeps one ModelSet for the base (or img2img model) and one for the refiner.
#pragma once
#include <memory>
#include <string>

#include "pipeline/device.h"
#include "sampling/scheduler_config.h"
#include "text/text_conditioner.h"
#include "unet/unet.h"
#include "vae/autoencoder.h"
#include "weights/checkpoint.h"

namespace sdxl {

struct ModelSet {
  std::string path;
  ModelKind kind = ModelKind::Base;
  UNet2DConditionModel unet{nullptr};
  AutoencoderKL vae{nullptr};               // absent when the checkpoint has none (refiner borrowing the base's)
  std::unique_ptr<TextConditioner> text;    // released after encoding under --low-memory
  std::shared_ptr<TextEncoder> text_encoder_2;  // lent to a refiner checkpoint that has none
  SchedulerConfig scheduler;
  bool force_zeros_for_empty_prompt = true;
};

// The text encoders of `ckpt` used as `kind` (a base checkpoint can encode as the refiner would: encoder 2
// only). `shared_te2` stands in when the checkpoint has no encoder 2; `te2_out` receives the one used.
std::unique_ptr<TextConditioner> load_text_conditioner(const Checkpoint& ckpt, const Placement& placement,
                                                       ModelKind kind, std::shared_ptr<TextEncoder> shared_te2,
                                                       std::shared_ptr<TextEncoder>* te2_out = nullptr);

// Loads every component the checkpoint has. `share_from` lends its VAE and text encoder 2 when the checkpoint
// lacks them (the diffusers refiner folder has neither). Weights are converted to the placement's
// dtypes once, here.
std::unique_ptr<ModelSet> load_model_set(const std::string& path, const std::string& config_dir,
                                         const Placement& placement, const ModelSet* share_from = nullptr);

}  // namespace sdxl
