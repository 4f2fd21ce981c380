// The noise-schedule settings of a diffusers `scheduler/scheduler_config.json`, with SDXL 1.0's values as
// defaults (a missing key takes the SDXL value, whatever scheduler class the file names).
#pragma once
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "sampling/sampler_kind.h"

namespace sdxl {

enum class BetaSchedule { ScaledLinear, Linear };

// The sampler a diffusers scheduler class stands for (EulerDiscreteScheduler -> euler, ...), if any.
std::optional<SamplerKind> sampler_of_scheduler_class(const std::string& class_name);

struct SchedulerConfig {
  int num_train_timesteps = 1000;
  double beta_start = 0.00085;
  double beta_end = 0.012;
  BetaSchedule beta_schedule = BetaSchedule::ScaledLinear;
  std::vector<double> trained_betas;  // non-empty: used instead of beta_start/end/schedule
  PredictionType prediction_type = PredictionType::Epsilon;
  TimestepSpacing timestep_spacing = TimestepSpacing::Leading;
  int steps_offset = 1;
  bool set_alpha_to_one = false;  // DDIM's alpha after the last step: 1, or alphas_cumprod[0]
  bool clip_sample = false;       // DDIM: clamp x0 to [-clip_sample_range, clip_sample_range]
  double clip_sample_range = 1.0;
  bool use_karras_sigmas = false;  // informational: make_schedule takes `karras` explicitly
  std::optional<double> sigma_min, sigma_max;  // Euler family Karras range override
  // Lin et al. 2023, "Common Diffusion Noise Schedules and Sample Steps are Flawed", Algorithm 1: betas
  // rescaled so that the last training timestep has zero SNR (pure noise); used with v-prediction models.
  bool rescale_betas_zero_snr = false;
  // LCMScheduler: the distillation schedule's length (timesteps are taken from it) and the scale of the
  // timestep in the boundary-condition scalings c_skip / c_out.
  int original_inference_steps = 50;
  double timestep_scaling = 10.0;
  // The sampler the file's scheduler class stands for (`_class_name`), if sdxl-gen has it: a folder's own
  // scheduler picks the default sampler (e.g. a Turbo folder ships EulerAncestralDiscreteScheduler).
  std::optional<SamplerKind> sampler;
  std::string class_name;

  // Throws sdxl::Error naming `what` and the key for values sdxl-gen does not implement
  // (e.g. beta_schedule "squaredcos_cap_v2", thresholding).
  static SchedulerConfig from_json(const nlohmann::json& j, const std::string& what = "scheduler_config.json");
  static SchedulerConfig from_file(const std::string& path);
};

}  // namespace sdxl
