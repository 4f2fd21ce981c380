// The control stage of a denoising pass: the request's ControlNets, each with its control image at the pass's
// size, and the per-step residuals they add to the UNet (diffusers 0.27.2 StableDiffusionXLControlNetPipeline:
// controlnet_keep, MultiControlNetModel's sum, guess mode). A denoiser hook (pipeline/denoise.h
// DenoiseOptions::unet_extras), not a sampler change.
#pragma once
#include <ATen/ATen.h>

#include <vector>

#include "control/controlnet.h"
#include "control/t2i_adapter.h"
#include "pipeline/denoise.h"
#include "sdxl/request.h"

namespace sdxl {

// One control of a pass: a ControlNet run at every step in range, or a T2I-Adapter's features (computed once,
// as diffusers' StableDiffusionXLAdapterPipeline: times the scale, for the first int(n x end) steps).
struct ControlUnit {
  ControlNetModel model{nullptr};
  at::Tensor image;  // [B, 3, H, W] in [0, 1] on the model's device and dtype (one row per image of the pass)
  std::vector<at::Tensor> adapter_features;  // T2I-Adapter: features x scale, laid out as the UNet's batch
  double scale = 1.0, start = 0.0, end = 1.0;
};

// A control image as the reference prepares it (VaeImageProcessor with do_convert_rgb, no normalisation): RGB,
// the preprocessor applied at the loaded size, resized to `size` with Pillow's Lanczos when it differs, scaled
// to [0, 1] in float32. [1, 3, H, W] on the CPU. `resized` (when set) is told whether it was resized.
at::Tensor prepare_control_image(const ControlSpec& spec, const Size& size, bool* resized = nullptr);

// diffusers' controlnet_keep: 0 for steps outside [start, end) of the schedule, else 1.
double control_keep(int step, int total, double start, double end);

// A T2I-Adapter's features for `image` (the pass's rows), times `scale`, doubled for CFG.
std::vector<at::Tensor> adapter_features(T2IAdapterModel& adapter, const at::Tensor& image, double scale, bool cfg);

class ControlStage {
 public:
  // `cond`: the pass's UNet conditioning (CFG-doubled when `cfg`). Guess mode runs the ControlNets on the
  // conditional half only and adds zeros to the other (with CFG), as the reference.
  ControlStage(std::vector<ControlUnit> units, const UNetConditioning& cond, bool cfg, bool guess_mode);

  // The residuals of step `step` of `total` for the UNet input `x_in` (scaled, CFG-doubled, without the
  // inpainting channels) at timesteps `t`: each unit's residuals times scale x keep, summed in order. Empty when
  // every unit is outside its range (adding zeros would leave the UNet's result unchanged).
  UNetExtras extras(int step, int total, const at::Tensor& x_in, const at::Tensor& t);

  // The hook for DenoiseOptions.
  std::function<UNetExtras(int, int, const at::Tensor&, const at::Tensor&)> hook();

 private:
  std::vector<ControlUnit> units_;
  UNetConditioning cond_;
  bool cfg_, guess_mode_;
};

}  // namespace sdxl
