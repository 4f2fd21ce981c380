// The sampling loop shared by txt2img, img2img and both refiner modes: for each active step of a schedule,
// one UNet call on the (CFG-doubled) batch, guidance, and the sampler's update rule.
#pragma once
#include <ATen/ATen.h>

#include <functional>
#include <vector>

#include "sampling/noise.h"
#include "sampling/sampler.h"
#include "unet/unet.h"

namespace sdxl {

// What the UNet is conditioned on, already laid out as its batch: [negative rows; positive rows] when
// guidance is on, positive rows only when off.
struct UNetConditioning {
  at::Tensor context;   // [B', L, C]
  at::Tensor pooled;    // [B', P]
  at::Tensor time_ids;  // [B', n]
  std::vector<ImagePromptAttention> image_prompts;  // IP-Adapters (pipeline/image_prompts.h), same batch layout
};

struct DenoiseOptions {
  double cfg = 5.0;              // > 1: classifier-free guidance
  double guidance_rescale = 0.0;
  std::function<void(int step, int total)> on_step;  // after each step (may throw to abandon)
  // Before on_step: the step's denoised estimate x0 (the sampler's prediction of the clean latents).
  std::function<void(int step, int total, const at::Tensor& x0)> on_denoised;
  std::vector<at::Tensor>* trajectory = nullptr;      // receives a CPU float32 copy after each step
  // Inpainting (pipeline/inpaint.h): channels appended to the scaled UNet input (9-channel UNets; already
  // laid out as the CFG batch), and a blend of each step's result before it is recorded (4-channel UNets).
  at::Tensor extra_input;
  std::function<at::Tensor(int step, int total, const at::Tensor& latents)> after_step;
  // Control residuals (pipeline/control_stage.h): from the step's scaled UNet input (without the inpainting
  // channels) and timesteps, what the UNet call adds (unet/unet_extras.h); an empty result is the plain call.
  std::function<UNetExtras(int step, int total, const at::Tensor& x_in, const at::Tensor& t)> unet_extras;
};

bool uses_cfg(double cfg);

// Runs every active step of `sampler`'s schedule on `latents` ([B,4,h,w] on the UNet's device/dtype).
at::Tensor denoise(UNet2DConditionModel& unet, Sampler& sampler, at::Tensor latents, const UNetConditioning& cond,
                   NoiseSource& noise, const DenoiseOptions& options);

}  // namespace sdxl
