#include "sampling/scheduler_config.h"

#include "common/error.h"
#include "io/atomic_file.h"
#include "weights/config_json.h"

namespace sdxl {
namespace {

using json = nlohmann::json;

const json* find(const json& j, const char* key) {
  auto it = j.find(key);
  return (it == j.end() || it->is_null()) ? nullptr : &*it;
}

[[noreturn]] void bad(const std::string& what, const char* key, const std::string& expected, const json& v) {
  throw Error(what + ": key '" + key + "' must be " + expected + ", got " + v.dump());
}

double number_or(const json& j, const char* key, double fallback, const std::string& what) {
  const json* v = find(j, key);
  if (!v) return fallback;
  if (!v->is_number()) bad(what, key, "a number", *v);
  return v->get<double>();
}

std::optional<double> optional_number(const json& j, const char* key, const std::string& what) {
  if (!find(j, key)) return std::nullopt;
  return number_or(j, key, 0.0, what);
}

// Options whose non-default value changes the maths in ways sdxl-gen does not implement.
void require_default(const json& j, const char* key, const json& expected, const std::string& what) {
  const json* v = find(j, key);
  if (v && *v != expected) bad(what, key, expected.dump() + " (the only supported value)", *v);
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
  if (!j.is_object()) throw Error(what + ": expected a JSON object");
  SchedulerConfig c;
  c.num_train_timesteps = static_cast<int>(config::int_or(j, "num_train_timesteps", c.num_train_timesteps, what));
  if (c.num_train_timesteps < 2 || c.num_train_timesteps > 100000)
    throw Error(what + ": key 'num_train_timesteps' must be in [2, 100000], got " +
                std::to_string(c.num_train_timesteps));
  c.beta_start = number_or(j, "beta_start", c.beta_start, what);
  c.beta_end = number_or(j, "beta_end", c.beta_end, what);
  if (!(c.beta_start > 0 && c.beta_start < 1) || !(c.beta_end > 0 && c.beta_end < 1))
    throw Error(what + ": beta_start/beta_end must lie in (0, 1), got " + std::to_string(c.beta_start) + ", " +
                std::to_string(c.beta_end));

  const std::string schedule = config::string_or(j, "beta_schedule", "scaled_linear", what);
  if (schedule == "scaled_linear") c.beta_schedule = BetaSchedule::ScaledLinear;
  else if (schedule == "linear") c.beta_schedule = BetaSchedule::Linear;
  else bad(what, "beta_schedule", "\"scaled_linear\" or \"linear\"", schedule);

  if (const json* tb = find(j, "trained_betas")) {
    if (!tb->is_array() || static_cast<int>(tb->size()) != c.num_train_timesteps)
      bad(what, "trained_betas", "null or a list of num_train_timesteps numbers", *tb);
    for (const auto& b : *tb) {
      if (!b.is_number() || !(b.get<double>() > 0 && b.get<double>() < 1))
        bad(what, "trained_betas", "a list of numbers in (0, 1)", b);
      c.trained_betas.push_back(b.get<double>());
    }
  }

  c.prediction_type = parse_prediction_type(config::string_or(j, "prediction_type", "epsilon", what),
                                            what + ": prediction_type");
  c.rescale_betas_zero_snr = config::bool_or(j, "rescale_betas_zero_snr", false, what);
  c.original_inference_steps =
      static_cast<int>(config::int_or(j, "original_inference_steps", c.original_inference_steps, what));
  if (c.original_inference_steps < 1 || c.original_inference_steps > c.num_train_timesteps)
    throw Error(what + ": key 'original_inference_steps' must be in [1, num_train_timesteps], got " +
                std::to_string(c.original_inference_steps));
  c.timestep_scaling = number_or(j, "timestep_scaling", c.timestep_scaling, what);
  c.class_name = config::string_or(j, "_class_name", "", what);
  c.sampler = sampler_of_scheduler_class(c.class_name);

  c.timestep_spacing =
      parse_timestep_spacing(config::string_or(j, "timestep_spacing", "leading", what), what + ": timestep_spacing");
  c.steps_offset = static_cast<int>(config::int_or(j, "steps_offset", c.steps_offset, what));
  if (c.steps_offset < 0 || c.steps_offset >= c.num_train_timesteps)
    throw Error(what + ": key 'steps_offset' out of range: " + std::to_string(c.steps_offset));
  c.set_alpha_to_one = config::bool_or(j, "set_alpha_to_one", c.set_alpha_to_one, what);
  c.clip_sample = config::bool_or(j, "clip_sample", c.clip_sample, what);
  c.clip_sample_range = number_or(j, "clip_sample_range", c.clip_sample_range, what);
  c.use_karras_sigmas = config::bool_or(j, "use_karras_sigmas", c.use_karras_sigmas, what);
  c.sigma_min = optional_number(j, "sigma_min", what);
  c.sigma_max = optional_number(j, "sigma_max", what);

  require_default(j, "interpolation_type", "linear", what);
  require_default(j, "timestep_type", "discrete", what);
  require_default(j, "thresholding", false, what);
  return c;
}

SchedulerConfig SchedulerConfig::from_file(const std::string& path) {
  json j;
  try {
    j = json::parse(io::read_file(path));
  } catch (const json::exception& e) {
    throw Error(path + ": invalid JSON: " + e.what());
  }
  return from_json(j, path);
}

}  // namespace sdxl
