// `bench --control` (and --all): the cost of one full-size SDXL ControlNet (random weights, the base UNet's
// encoder as diffusers' ControlNetModel.from_unet copies it, the default conditioning embedding
// (16, 32, 96, 256) that the published SDXL ControlNets use) on top of the base UNet: its forward on the CFG
// batch, one control step (ControlNet + UNet with the residuals added), and what it adds to the peak RSS.
#pragma once
#include <torch/nn/module.h>

#include <functional>
#include <nlohmann/json.hpp>

#include "unet/unet.h"

namespace sdxl::cli {

// `unet` is the base UNet and `in` its batch-2 inputs (sample, timesteps, context, pooled, time ids), as
// bench_unet builds them. Fills controlnet_build_s, controlnet_weights_mb, controlnet_forward_s,
// control_step_s, control_step_ratio (control_step_s / the plain batch-2 forward timed here),
// control_added_peak_rss_mb; `report` prints one line per time.
void bench_control(UNet2DConditionModel& unet, const nlohmann::json& unet_config, const std::vector<at::Tensor>& in,
                   int repeat, const at::Device& device, const std::function<void(torch::nn::Module&)>& randomize,
                   const std::function<void(const std::string&, double, const std::string&)>& report,
                   nlohmann::json& out);

}  // namespace sdxl::cli
