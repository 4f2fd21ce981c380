// The control models of a pipeline (README "ControlNet"), in one place: each ControlNet, control-LoRA or
// T2I-Adapter a request names, loaded on first use for the base UNet and kept across passes and requests, and
// the control stage (pipeline/control_stage.h) of each denoising pass built from them, as diffusers 0.27.2
// StableDiffusionXLControlNetPipeline prepares it: one control image per unit at the pass's size,
// MultiControlNetModel's units in request order, guess mode turned on by a ControlNet whose config says
// global_pool_conditions.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "control/controlnet.h"
#include "control/t2i_adapter.h"
#include "pipeline/control_stage.h"
#include "pipeline/denoise.h"
#include "pipeline/device.h"
#include "pipeline/model_set.h"
#include "sdxl/request.h"

namespace sdxl {

class ControlModels {
 public:
  // `base`: the checkpoint whose UNet the control models fit (its config; a control-LoRA's encoder weights). It
  // must outlive this object. The models are built on `placement`'s device in its dtype.
  ControlModels(const ModelSet& base, const Placement& placement);

  // The control stage of a pass at `size` with conditioning `cond` (CFG-doubled as the pass's UNet batch);
  // none without controls. `rows`: images per pass. Loads the models the request names that are not loaded
  // yet (an input error names "control"), records each unit's model hash and image sha256 in `r` (a recorded
  // sha256 that differs is an input error) and a line for each resized control image in `warnings`.
  std::optional<ControlStage> stage(GenerationRequest& r, const Size& size, int64_t rows,
                                    const UNetConditioning& cond, std::vector<std::string>* warnings);

  // --low-memory: drops the loaded models with the UNet (loaded again by the next pass that needs them).
  void release() { models_.clear(); }

  double load_s() const { return load_s_; }  // seconds spent loading control models

 private:
  // A loaded control model: a ControlNet (or control-LoRA, which becomes one) or a T2I-Adapter.
  struct Loaded {
    ControlNetModel controlnet{nullptr};
    T2IAdapterModel adapter{nullptr};
  };
  Loaded& model(const ControlSpec& spec);
  std::vector<ControlUnit> units(GenerationRequest& r, const Size& size, int64_t rows,
                                 std::vector<std::string>* warnings);

  const ModelSet& base_;
  Placement placement_;
  std::map<std::string, Loaded> models_;  // by model path and config folder
  double load_s_ = 0;
};

}  // namespace sdxl
