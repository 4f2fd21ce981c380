#include "sampling/scheduler_config.h"

#include "common/error.h"
#include "io/atomic_file.h"
#include "common/config_reader.h"

namespace sdxl {
namespace {

using json = nlohmann::json;

// Options whose non-default value changes the maths in ways sdxl-gen does not implement (null = not set).
void require_default(const config::Reader& r, const char* key, const json& expected) {
  if (r.has(key)) r.expect(key, {expected});
}

}  // namespace

std::optional<SamplerKind> sampler_of_scheduler_class(const std::string& name) {
  static const std::pair<const char*, SamplerKind> kClasses[] = {
      {"DDIMScheduler", SamplerKind::DDIM},
      {"EulerDiscreteScheduler", SamplerKind::Euler},
      {"EulerAncestralDiscreteScheduler", SamplerKind::EulerAncestral},
      {"DPMSolverMultistepScheduler", SamplerKind::DPMPP2M},
      {"LCMScheduler", SamplerKind::LCM},
  };
  for (const auto& [cls, kind] : kClasses)
    if (name == cls) return kind;
  return std::nullopt;
}

SchedulerConfig SchedulerConfig::from_json(const json& j, const std::string& what) {
  if (!j.is_object()) throw Error(ErrorCategory::Input, "", what + ": expected a JSON object");
  const config::Reader r(j, what);
  SchedulerConfig c;
  c.num_train_timesteps = static_cast<int>(r.integer("num_train_timesteps", c.num_train_timesteps));
  if (c.num_train_timesteps < 2 || c.num_train_timesteps > 100000)
    r.fail("num_train_timesteps", "must be in [2, 100000], got " + std::to_string(c.num_train_timesteps));
  c.beta_start = r.number("beta_start", c.beta_start);
  c.beta_end = r.number("beta_end", c.beta_end);
  if (!(c.beta_start > 0 && c.beta_start < 1) || !(c.beta_end > 0 && c.beta_end < 1))
    throw Error(ErrorCategory::Input, "", what + ": beta_start/beta_end must lie in (0, 1), got " + std::to_string(c.beta_start) + ", " +
                std::to_string(c.beta_end));

  const std::string schedule = r.string("beta_schedule", "scaled_linear");
  if (schedule == "scaled_linear") c.beta_schedule = BetaSchedule::ScaledLinear;
  else if (schedule == "linear") c.beta_schedule = BetaSchedule::Linear;
  else r.fail("beta_schedule", "must be \"scaled_linear\" or \"linear\", got \"" + schedule + "\"");

  if (r.has("trained_betas")) {
    const json& tb = r.at("trained_betas");
    if (!tb.is_array() || static_cast<int>(tb.size()) != c.num_train_timesteps)
      r.fail("trained_betas", "must be null or a list of num_train_timesteps numbers, got " + tb.dump());
    for (const auto& b : tb) {
      if (!b.is_number() || !(b.get<double>() > 0 && b.get<double>() < 1))
        r.fail("trained_betas", "must be a list of numbers in (0, 1), got " + b.dump());
      c.trained_betas.push_back(b.get<double>());
    }
  }

  c.prediction_type = parse_prediction_type(r.string("prediction_type", "epsilon"),
                                            what + ": prediction_type");
  c.rescale_betas_zero_snr = r.boolean("rescale_betas_zero_snr", false);
  c.original_inference_steps =
      static_cast<int>(r.integer("original_inference_steps", c.original_inference_steps));
  if (c.original_inference_steps < 1 || c.original_inference_steps > c.num_train_timesteps)
    r.fail("original_inference_steps",
           "must be in [1, num_train_timesteps], got " + std::to_string(c.original_inference_steps));
  c.timestep_scaling = r.number("timestep_scaling", c.timestep_scaling);
  c.class_name = r.string("_class_name", "");
  c.sampler = sampler_of_scheduler_class(c.class_name);

  c.timestep_spacing =
      parse_timestep_spacing(r.string("timestep_spacing", "leading"), what + ": timestep_spacing");
  c.steps_offset = static_cast<int>(r.integer("steps_offset", c.steps_offset));
  if (c.steps_offset < 0 || c.steps_offset >= c.num_train_timesteps)
    r.fail("steps_offset", "out of range: " + std::to_string(c.steps_offset));
  c.set_alpha_to_one = r.boolean("set_alpha_to_one", c.set_alpha_to_one);
  c.clip_sample = r.boolean("clip_sample", c.clip_sample);
  c.clip_sample_range = r.number("clip_sample_range", c.clip_sample_range);
  c.use_karras_sigmas = r.boolean("use_karras_sigmas", c.use_karras_sigmas);
  c.sigma_min = r.has("sigma_min") ? std::optional<double>(r.number("sigma_min")) : std::nullopt;
  c.sigma_max = r.has("sigma_max") ? std::optional<double>(r.number("sigma_max")) : std::nullopt;

  require_default(r, "interpolation_type", "linear");
  require_default(r, "timestep_type", "discrete");
  require_default(r, "thresholding", false);
  return c;
}

SchedulerConfig SchedulerConfig::from_file(const std::string& path) {
  json j;
  try {
    j = json::parse(io::read_file(path));
  } catch (const json::exception& e) {
    throw Error(ErrorCategory::Input, "", path + ": invalid JSON: " + e.what());
  }
  return from_json(j, path);
}

}  // namespace sdxl
