// One generation's sampler: the update rule of DDIM, Euler, Euler ancestral, DPM++ 2M or LCM over a Schedule
// (k-diffusion style), with the reference's (diffusers v0.27.2) float32 scalar maths and noise-draw order.
// Steps are indexed within the schedule's active range: i = 0 is the first step that runs.
#pragma once
#include <ATen/ATen.h>

#include "sampling/noise.h"
#include "sampling/schedule.h"

namespace sdxl {

// Euler ancestral's split of a step sigma_from -> sigma_to into a deterministic part down to sigma_down and
// fresh noise of std sigma_up (k-diffusion get_ancestral_step, eta 1), in float32.
struct AncestralSigmas {
  float up, down;
};
AncestralSigmas ancestral_sigmas(float sigma_from, float sigma_to);

class Sampler {
 public:
  explicit Sampler(Schedule schedule);

  const Schedule& schedule() const { return schedule_; }
  SamplerKind kind() const { return schedule_.kind; }
  int num_steps() const { return schedule_.size(); }
  // txt2img: initial latents = noise * init_noise_sigma (Euler family sqrt(sigma_max^2 + 1), else 1).
  double init_noise_sigma() const { return schedule_.init_noise_sigma; }
  // The timestep the UNet gets at step i, as a 0-dim float32 CPU tensor.
  at::Tensor timestep(int i) const;
  // The UNet input at step i: Euler family x / sqrt(sigma^2 + 1) (k-diffusion c_in); DDIM / DPM++ x itself.
  at::Tensor scale_model_input(const at::Tensor& x, int i) const;
  // One update x_i -> x_{i+1} from the model output (epsilon or v). Steps must run in order 0, 1, 2, ...
  // (DPM++ keeps the previous x0 prediction). Draws from `noise` exactly as the reference: Euler ancestral one
  // randn(eps shape) per step after the deterministic part (also at the last step), Euler one unused
  // randn(eps shape) per step, LCM one randn(eps shape) per step except the schedule's last, DDIM (eta 0) and
  // DPM++ 2M none. Returns the new sample in eps's dtype;
  // `pred_original`, if given, receives the x0 prediction.
  at::Tensor step(const at::Tensor& model_output, int i, const at::Tensor& x, NoiseSource& noise,
                  at::Tensor* pred_original = nullptr);
  // img2img: noise clean latents to the level of step i (default: the first step that runs).
  // Euler family x0 + sigma n; DDIM and LCM sqrt(a) x0 + sqrt(1-a) n; DPM++ alpha x0 + sigma_t n (VP form).
  at::Tensor add_noise(const at::Tensor& original, const at::Tensor& noise, int i = 0) const;

 private:
  int global_index(int i, const char* what) const;

  Schedule schedule_;
  int next_step_ = 0;
  at::Tensor previous_x0_;    // DPM++ 2M: x0 prediction of the previous step
  int lower_order_steps_ = 0;  // DPM++ 2M: steps taken so far (second order needs one)
};

}  // namespace sdxl
