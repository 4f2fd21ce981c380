// One checkpoint's models, placed on the device in their final dtypes. The checkpoint is opened (every
// header validated, tensor data only mapped) up front; each model is built and loaded when first needed
// and can be released and loaded again. That lets --low-memory hold one stage's model at a time
// (text encoders, then the UNet, then the VAE), so the peak is the largest model, not their sum.
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
  // Opens `path` (reads headers only). `share_from` lends its VAE and text encoder 2 when this checkpoint
  // lacks them (a refiner folder without its own); it must outlive this set.
  ModelSet(const std::string& path, const std::string& config_dir, const Placement& placement,
           ModelSet* share_from = nullptr);

  UNet2DConditionModel& ensure_unet();
  TextConditioner& ensure_text();
  bool has_vae() const { return checkpoint.components.count("vae") > 0; }
  AutoencoderKL& ensure_vae();  // this checkpoint's VAE, else the lender's
  void release_unet() { unet = nullptr; }
  void release_text();

  std::string path;
  ModelKind kind = ModelKind::Base;
  SchedulerConfig scheduler;
  Placement placement;
  Checkpoint checkpoint;
  UNet2DConditionModel unet{nullptr};           // loaded or released by the functions above
  AutoencoderKL vae{nullptr};
  std::unique_ptr<TextConditioner> text;
  std::shared_ptr<TextEncoder> text_encoder_2;  // the encoder 2 inside `text`, to lend to a refiner
  double load_s = 0;                            // seconds spent loading weights so far

 private:
  ModelSet* share_from_;
};

// The tokenizer of the text encoder `component` ("text_encoder", "text_encoder_2"): the folder `dir`, or
// the bundled CLIP vocabulary with the SDXL preset's pad token when `dir` is "" (single-file checkpoints).
// Its context length is the folder's model_max_length, else `encoder_config`'s max_position_embeddings.
std::shared_ptr<const Tokenizer> tokenizer_for(const std::string& dir, const char* component,
                                               const nlohmann::json& encoder_config, text::ClipCleaning cleaning);

// The text encoders of `ckpt` used as `kind` (a base checkpoint can encode as the refiner would: encoder 2
// only). `shared_te2` stands in when the checkpoint has no encoder 2; `te2_out` receives the one used.
std::unique_ptr<TextConditioner> load_text_conditioner(const Checkpoint& ckpt, const Placement& placement,
                                                       ModelKind kind, std::shared_ptr<TextEncoder> shared_te2,
                                                       std::shared_ptr<TextEncoder>* te2_out = nullptr);

}  // namespace sdxl
