// A sampling schedule (k-diffusion style): the list of timesteps fed to the UNet and the matching noise levels,
// built as diffusers v0.27.2's set_timesteps does for each sampler, plus the step range that actually runs
// (img2img strength, the base/refiner split of denoising_end / denoising_start).
#pragma once
#include <cstdint>
#include <optional>
#include <vector>

#include "sampling/sampler_kind.h"
#include "sampling/scheduler_config.h"

namespace sdxl {

struct Schedule {
  SamplerKind kind = SamplerKind::Euler;
  bool karras = false;
  TimestepSpacing spacing = TimestepSpacing::Leading;
  PredictionType prediction_type = PredictionType::Epsilon;
  int num_train_timesteps = 1000;

  // The full schedule (all float32 values; integers except Euler-family Karras / linspace timesteps).
  std::vector<double> timesteps;  // n, decreasing (Karras may repeat values at the low end)
  std::vector<double> sigmas;     // n + 1, last 0. Euler/DPM++: the solver's sigmas; DDIM: sigma_train[t] (informational)
  double init_noise_sigma = 1.0;  // txt2img: latents = noise * init_noise_sigma

  // DDIM (Song et al. 2021): alphabar at each step and at its predecessor t - T/n. LCM: the same at each step
  // and at the next timestep of the list.
  int64_t step_ratio = 0;
  std::vector<int64_t> prev_timesteps;
  std::vector<double> alpha_prod_t, alpha_prod_t_prev;
  bool clip_sample = false;
  double clip_sample_range = 1.0;
  double timestep_scaling = 10.0;  // LCM boundary-condition scalings

  // The steps that run: [begin, end) of the full schedule. Samplers index steps relative to `begin`.
  int begin = 0, end = 0;

  int num_inference_steps() const { return static_cast<int>(timesteps.size()); }
  int size() const { return end - begin; }
  bool empty() const { return end <= begin; }
  // Active step i (0 = first step that runs); sigma(size()) is the level after the last step.
  double timestep(int i) const;
  double sigma(int i) const;
  std::vector<double> active_timesteps() const;
};

// The full schedule of `steps` steps (1..num_train_timesteps) for `kind`. `karras` selects Karras sigmas
// (Euler, Euler ancestral, DPM++ 2M; DDIM throws sdxl::Error); `spacing` overrides config.timestep_spacing.
Schedule make_schedule(SamplerKind kind, int steps, const SchedulerConfig& config, bool karras = false,
                       std::optional<TimestepSpacing> spacing = std::nullopt);

// img2img / SDEdit: run only the last min(int(n*strength), n) of the n active steps (strength in [0, 1]).
// The first remaining timestep is the one the init latents are noised to. May leave zero steps.
Schedule with_strength(Schedule s, double strength);
// Base of a base+refiner ensemble: keep the leading steps with t >= round(T - T*end), end in (0, 1).
Schedule with_denoising_end(Schedule s, double denoising_end);
// Refiner of the ensemble: keep the trailing num = count(t < round(T - T*start)) steps, start in (0, 1).
// As the reference's `timesteps[-num:]`, num = 0 keeps ALL active steps.
Schedule with_denoising_start(Schedule s, double denoising_start);

}  // namespace sdxl
