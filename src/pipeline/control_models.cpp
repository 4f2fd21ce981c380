#include "pipeline/control_models.h"

#include "common/error.h"
#include "common/stopwatch.h"
#include "control/control_model.h"
#include "io/sha256.h"
#include "weights/checkpoint_files.h"
#include "weights/model_hash.h"

namespace sdxl {
namespace {

// diffusers turns guess mode on for a ControlNet whose config says global_pool_conditions.
bool guess_mode(const GenerationRequest& r, const std::vector<ControlUnit>& units) {
  bool guess = r.adapters.control_guess_mode;
  for (const auto& u : units) guess |= u.model && u.model->config().global_pool_conditions;
  return guess;
}

}  // namespace

ControlModels::ControlModels(const ModelSet& base, const Placement& placement) : base_(base), placement_(placement) {}

ControlModels::Loaded& ControlModels::model(const ControlSpec& spec) {
  const std::string key = spec.model + "\n" + spec.config;
  auto it = models_.find(key);
  if (it != models_.end()) return it->second;
  Stopwatch timer;
  const at::TensorOptions options = at::TensorOptions().device(placement_.device).dtype(placement_.dtype);
  Loaded loaded;
  try {
    const ControlModelFile file = inspect_control_model(spec.model);
    if (file.kind == ControlKind::T2IAdapter) {
      loaded.adapter = load_t2i_adapter(file, spec.config, options);
    } else {
      // A ControlNet fits the base UNet (its architecture); a control-LoRA's encoder is the base's own weights.
      const ComponentWeights& unet = base_.checkpoint.components.at("unet");
      loaded.controlnet = file.kind == ControlKind::ControlLora
                              ? load_control_lora(file, unet.config, unet.tensors, options)
                              : load_controlnet(file, spec.config, unet.config, options);
    }
  } catch (const Error& e) {
    if (e.category() != ErrorCategory::Input) throw;
    throw input_error("control", e.detail());
  }
  load_s_ += timer.seconds();
  return models_.emplace(key, loaded).first->second;
}

// The request's control units at `size`, their images repeated for the pass's `rows` images.
std::vector<ControlUnit> ControlModels::units(GenerationRequest& r, const Size& size, int64_t rows,
                                              std::vector<std::string>* warnings) {
  std::vector<ControlUnit> units;
  for (ControlSpec& spec : r.adapters.controls) {
    ControlUnit u;
    Loaded& loaded = model(spec);
    u.model = loaded.controlnet;
    if (loaded.adapter && spec.start != 0.0)
      throw usage_error("control_start", "must be 0 for the T2I-Adapter " + spec.model +
                                             " (it runs from the first step; control_end is its conditioning factor)");
    bool resized = false;
    u.image = prepare_control_image(spec, size, &resized).repeat({rows, 1, 1, 1}).to(placement_.device, placement_.dtype);
    if (loaded.adapter) u.adapter_features = adapter_features(loaded.adapter, u.image, spec.scale, uses_cfg(r.sampling.cfg));
    if (resized && warnings)
      warnings->push_back("control image " + spec.image + " resized to " + std::to_string(size.width) + "x" +
                          std::to_string(size.height) + " (Lanczos)");
    u.scale = spec.scale;
    u.start = spec.start;
    u.end = spec.end;
    // The web UI's short hash of the weights file (of a folder: its safetensors file).
    spec.model_hash = model_hash(checkpoint_files::is_dir(spec.model) ? checkpoint_files::find_weights_file(spec.model)
                                                                      : spec.model);
    // A recorded image (--from-png) must be the one that made the image.
    const std::string sha = io::hash_file(spec.image, false).file;
    if (!spec.image_sha256.empty() && spec.image_sha256 != sha)
      throw input_error("control_image", spec.image + " has changed since it was recorded (sha256 " + sha +
                                             ", recorded " + spec.image_sha256 + ")");
    spec.image_sha256 = sha;
    units.push_back(u);
  }
  return units;
}

std::optional<ControlStage> ControlModels::stage(GenerationRequest& r, const Size& size, int64_t rows,
                                                 const UNetConditioning& cond, std::vector<std::string>* warnings) {
  std::optional<ControlStage> stage;
  if (r.adapters.controls.empty()) return stage;
  std::vector<ControlUnit> units = this->units(r, size, rows, warnings);
  const bool guess = guess_mode(r, units);
  stage.emplace(std::move(units), cond, uses_cfg(r.sampling.cfg), guess);
  return stage;
}

}  // namespace sdxl
