#include "sampling/schedule.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"
#include "sampling/karras.h"
#include "sampling/numpy_compat.h"
#include "sampling/train_schedule.h"

namespace sdxl {
namespace {

// Timesteps as diffusers lays them out. DPM++ (DPMSolverMultistepScheduler) spaces n+1 points and drops the
// last (t ~ 0), so its leading ratio is T // (n+1); the others space n points.
std::vector<double> spaced_timesteps(SamplerKind kind, int n, int T, int offset, TimestepSpacing spacing) {
  const bool dpm = kind == SamplerKind::DPMPP2M;
  const int points = dpm ? n + 1 : n;
  std::vector<double> t(n);
  switch (spacing) {
    case TimestepSpacing::Leading: {
      const int64_t ratio = T / points;
      for (int i = 0; i < n; ++i) t[i] = static_cast<double>((points - 1 - i) * ratio + offset);
      break;
    }
    case TimestepSpacing::Linspace: {
      const std::vector<double> v = numpy::linspace(0.0, T - 1.0, points);
      for (int i = 0; i < n; ++i) {
        const double x = v[points - 1 - i];
        // Euler-family timesteps stay fractional (float32); DDIM / DPM++ round to integers.
        t[i] = (kind == SamplerKind::Euler || kind == SamplerKind::EulerAncestral) ? static_cast<float>(x)
                                                                                   : numpy::round_half_even(x);
      }
      break;
    }
    case TimestepSpacing::SgmUniform: {
      // ComfyUI: torch.linspace(timestep(sigma_max) = T-1, timestep(sigma_min) = 0, n+1) in float32, last dropped.
      const std::vector<float> v = torch_linspace_f32(T - 1.0, 0.0, n + 1);
      for (int i = 0; i < n; ++i) t[i] = v[i];
      break;
    }
    case TimestepSpacing::Trailing: {
      // numpy's arange(T, 0, -T/n) can hold n+1 values through rounding (e.g. n = 61); the reference then
      // runs an extra step at t = -1. We keep the first n, the intended schedule.
      const std::vector<double> v = numpy::arange_down(T, static_cast<double>(T) / n, n);
      for (int i = 0; i < n; ++i) t[i] = numpy::round_half_even(v[i]) - 1.0;
      break;
    }
  }
  return t;
}

std::vector<float> log_of(const std::vector<float>& sigmas) {
  std::vector<float> out(sigmas.size());
  for (size_t i = 0; i < sigmas.size(); ++i) out[i] = static_cast<float>(std::log(static_cast<double>(sigmas[i])));
  return out;
}

void fill_euler(Schedule& s, const TrainSchedule& train, const SchedulerConfig& config) {
  const int n = s.num_inference_steps();
  std::vector<double> sig(n);
  for (int i = 0; i < n; ++i) sig[i] = numpy::interp_unit_grid(s.timesteps[i], train.sigmas);
  if (s.spacing == TimestepSpacing::SgmUniform) {
    // ComfyUI ModelSamplingDiscrete.sigma: log-sigma interpolated between the neighbouring training
    // timesteps, in float32.
    const std::vector<float> log_sigmas = log_of(train.sigmas);
    for (int i = 0; i < n; ++i) {
      const float t = static_cast<float>(s.timesteps[i]);
      const auto low = static_cast<size_t>(std::floor(t)), high = static_cast<size_t>(std::ceil(t));
      const float w = t - std::floor(t);
      sig[i] = std::exp(static_cast<double>((1.0f - w) * log_sigmas[low] + w * log_sigmas[high]));
      sig[i] = static_cast<float>(sig[i]);
    }
  }
  if (s.karras) {
    // EulerDiscreteScheduler: Karras levels between the spaced schedule's own end sigmas (or the config's
    // sigma_min / sigma_max), timesteps mapped back fractionally.
    const std::vector<float> log_sigmas = log_of(train.sigmas);
    sig = karras_sigmas(config.sigma_min.value_or(sig[n - 1]), config.sigma_max.value_or(sig[0]), n);
    for (int i = 0; i < n; ++i) s.timesteps[i] = static_cast<float>(sigma_to_timestep(sig[i], log_sigmas));
  }
  s.sigmas.clear();
  for (double v : sig) s.sigmas.push_back(static_cast<float>(v));
  s.sigmas.push_back(0.0);
  const float max_sigma = static_cast<float>(*std::max_element(s.sigmas.begin(), s.sigmas.end()));
  // k-diffusion's x_T ~ N(0, sigma_max^2); with "leading" spacing diffusers uses sqrt(sigma_max^2 + 1).
  s.init_noise_sigma = s.spacing == TimestepSpacing::Leading ? std::sqrt(max_sigma * max_sigma + 1.0f) : max_sigma;
}

void fill_dpm(Schedule& s, const TrainSchedule& train) {
  const int n = s.num_inference_steps();
  s.sigmas.clear();
  if (s.karras) {
    // Karras levels over the whole training range; timesteps = rounded log-sigma positions (can repeat).
    const std::vector<float> log_sigmas = log_of(train.sigmas);
    const std::vector<double> sig = karras_sigmas(train.sigmas.front(), train.sigmas.back(), n);
    for (int i = 0; i < n; ++i) {
      s.timesteps[i] = numpy::round_half_even(sigma_to_timestep(sig[i], log_sigmas));
      s.sigmas.push_back(static_cast<float>(sig[i]));
    }
  } else {
    for (int i = 0; i < n; ++i) s.sigmas.push_back(static_cast<float>(numpy::interp_unit_grid(s.timesteps[i], train.sigmas)));
  }
  s.sigmas.push_back(0.0);  // final_sigmas_type "zero"
  s.init_noise_sigma = 1.0;
}

// LCMScheduler.set_timesteps: the distillation schedule k-1, 2k-1, ..., (k = T // original_inference_steps),
// reversed, and n of its entries at floor(i * len/n). Each step moves to the next timestep of the list (the
// last one to itself: its output is the denoised sample, no noise is added).
void fill_lcm(Schedule& s, const TrainSchedule& train, const SchedulerConfig& config) {
  const int n = s.num_inference_steps(), T = s.num_train_timesteps;
  const int original = config.original_inference_steps;
  if (n > original)
    throw Error(ErrorCategory::Input, "", "sampler 'lcm': " + std::to_string(n) + " steps exceed the scheduler's original_inference_steps (" +
                std::to_string(original) + ")");
  const int64_t k = T / original;
  std::vector<int64_t> origin;  // reversed: (original)*k - 1, ..., k - 1
  for (int i = original; i >= 1; --i) origin.push_back(i * k - 1);
  const double stride = static_cast<double>(origin.size()) / n;  // numpy linspace(0, len, n, endpoint=False)
  for (int i = 0; i < n; ++i) s.timesteps[i] = static_cast<double>(origin[static_cast<size_t>(std::floor(i * stride))]);
  s.sigmas.clear();
  for (int i = 0; i < n; ++i) {
    const auto t = static_cast<int64_t>(s.timesteps[i]);
    const auto next = i + 1 < n ? static_cast<int64_t>(s.timesteps[i + 1]) : t;
    s.prev_timesteps.push_back(next);
    s.alpha_prod_t.push_back(train.alphas_cumprod[t]);
    s.alpha_prod_t_prev.push_back(train.alphas_cumprod[next]);
    s.sigmas.push_back(train.sigmas[t]);
  }
  s.sigmas.push_back(0.0);
  s.init_noise_sigma = 1.0;
  s.timestep_scaling = config.timestep_scaling;
}

void fill_ddim(Schedule& s, const TrainSchedule& train) {
  const int n = s.num_inference_steps();
  const int T = s.num_train_timesteps;
  s.step_ratio = T / n;
  s.sigmas.clear();
  for (int i = 0; i < n; ++i) {
    const int64_t t = static_cast<int64_t>(s.timesteps[i]);
    if (t < 0 || t >= T)
      throw Error(ErrorCategory::Input, "", "ddim: " + std::to_string(n) + " steps give timestep " + std::to_string(t) + " outside [0, " +
                  std::to_string(T - 1) + "]");
    const int64_t prev = t - s.step_ratio;
    s.prev_timesteps.push_back(prev);
    s.alpha_prod_t.push_back(train.alphas_cumprod[t]);
    s.alpha_prod_t_prev.push_back(prev >= 0 ? train.alphas_cumprod[prev] : train.final_alpha_cumprod);
    s.sigmas.push_back(train.sigmas[t]);
  }
  s.sigmas.push_back(0.0);
  s.init_noise_sigma = 1.0;
}

}  // namespace

double Schedule::timestep(int i) const { return timesteps.at(begin + i); }
double Schedule::sigma(int i) const { return sigmas.at(begin + i); }
std::vector<double> Schedule::active_timesteps() const {
  return std::vector<double>(timesteps.begin() + begin, timesteps.begin() + end);
}

Schedule make_schedule(SamplerKind kind, int steps, const SchedulerConfig& config, bool karras,
                       std::optional<TimestepSpacing> spacing) {
  const int T = config.num_train_timesteps;
  if (steps < 1 || steps > T)
    throw Error(ErrorCategory::Input, "", std::string("steps must be in [1, ") + std::to_string(T) + "], got " + std::to_string(steps));
  if (karras && (kind == SamplerKind::DDIM || kind == SamplerKind::LCM))
    throw usage_error("karras", std::string("is not available for sampler '") + to_string(kind) +
                                    "' (only euler, euler_a, dpmpp_2m)");
  if (spacing.value_or(config.timestep_spacing) == TimestepSpacing::SgmUniform && kind != SamplerKind::Euler &&
      kind != SamplerKind::EulerAncestral)
    throw usage_error("timestep_spacing", std::string("'sgm_uniform' is for the euler and euler_a samplers, not '") +
                                              to_string(kind) + "'");
  if (kind == SamplerKind::EulerAncestral && config.prediction_type == PredictionType::Sample)
    throw usage_error("sampler", "'euler_a' does not support prediction type 'sample' (as the reference; use euler, "
                                 "ddim, dpmpp_2m or lcm)");
  Schedule s;
  s.kind = kind;
  s.karras = karras;
  s.spacing = spacing.value_or(config.timestep_spacing);
  s.prediction_type = config.prediction_type;
  s.num_train_timesteps = T;
  s.clip_sample = config.clip_sample;
  s.clip_sample_range = config.clip_sample_range;
  s.timesteps = spaced_timesteps(kind, steps, T, config.steps_offset, s.spacing);

  const bool terminal_floor = kind != SamplerKind::DDIM && kind != SamplerKind::LCM;
  const TrainSchedule train(config, terminal_floor);
  switch (kind) {
    case SamplerKind::Euler:
    case SamplerKind::EulerAncestral: fill_euler(s, train, config); break;
    case SamplerKind::DPMPP2M: fill_dpm(s, train); break;
    case SamplerKind::DDIM: fill_ddim(s, train); break;
    case SamplerKind::LCM: fill_lcm(s, train, config); break;
  }
  s.begin = 0;
  s.end = s.num_inference_steps();
  return s;
}

Schedule with_strength(Schedule s, double strength) {
  if (!(strength >= 0.0 && strength <= 1.0))
    throw Error(ErrorCategory::Input, "", "strength must be in [0, 1], got " + std::to_string(strength));
  const int n = s.size();
  const int keep = std::min(static_cast<int>(n * strength), n);  // int() truncates, as the reference
  s.begin = s.end - keep;
  return s;
}

namespace {
// The reference's discrete_timestep_cutoff: int(round(T - fraction * T)) (Python round: half to even).
double cutoff(const Schedule& s, double fraction, const char* name) {
  if (!(fraction > 0.0 && fraction < 1.0))
    throw Error(ErrorCategory::Input, "", std::string(name) + " must be in (0, 1), got " + std::to_string(fraction));
  const double T = s.num_train_timesteps;
  return numpy::round_half_even(T - fraction * T);
}
}  // namespace

Schedule with_denoising_end(Schedule s, double denoising_end) {
  const double c = cutoff(s, denoising_end, "denoising_end");
  int keep = 0;
  for (int i = s.begin; i < s.end; ++i) keep += s.timesteps[i] >= c;
  s.end = s.begin + keep;
  return s;
}

Schedule with_denoising_start(Schedule s, double denoising_start) {
  const double c = cutoff(s, denoising_start, "denoising_start");
  int num = 0;
  for (int i = s.begin; i < s.end; ++i) num += s.timesteps[i] < c;
  if (num > 0) s.begin = s.end - num;  // timesteps[-0:] is the whole list
  return s;
}

}  // namespace sdxl
