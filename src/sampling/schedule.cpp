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

void fill_ddim(Schedule& s, const TrainSchedule& train) {
  const int n = s.num_inference_steps();
  const int T = s.num_train_timesteps;
  s.step_ratio = T / n;
  s.sigmas.clear();
  for (int i = 0; i < n; ++i) {
    const int64_t t = static_cast<int64_t>(s.timesteps[i]);
    if (t < 0 || t >= T)
      throw Error("ddim: " + std::to_string(n) + " steps give timestep " + std::to_string(t) + " outside [0, " +
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
    throw Error(std::string("steps must be in [1, ") + std::to_string(T) + "], got " + std::to_string(steps));
  if (karras && kind == SamplerKind::DDIM)
    throw usage_error("karras", "is not available for sampler 'ddim' (only euler, euler_a, dpmpp_2m)");
  Schedule s;
  s.kind = kind;
  s.karras = karras;
  s.spacing = spacing.value_or(config.timestep_spacing);
  s.prediction_type = config.prediction_type;
  s.num_train_timesteps = T;
  s.clip_sample = config.clip_sample;
  s.clip_sample_range = config.clip_sample_range;
  s.timesteps = spaced_timesteps(kind, steps, T, config.steps_offset, s.spacing);

  const TrainSchedule train(config);
  switch (kind) {
    case SamplerKind::Euler:
    case SamplerKind::EulerAncestral: fill_euler(s, train, config); break;
    case SamplerKind::DPMPP2M: fill_dpm(s, train); break;
    case SamplerKind::DDIM: fill_ddim(s, train); break;
  }
  s.begin = 0;
  s.end = s.num_inference_steps();
  return s;
}

Schedule with_strength(Schedule s, double strength) {
  if (!(strength >= 0.0 && strength <= 1.0))
    throw Error("strength must be in [0, 1], got " + std::to_string(strength));
  const int n = s.size();
  const int keep = std::min(static_cast<int>(n * strength), n);  // int() truncates, as the reference
  s.begin = s.end - keep;
  return s;
}

namespace {
// The reference's discrete_timestep_cutoff: int(round(T - fraction * T)) (Python round: half to even).
double cutoff(const Schedule& s, double fraction, const char* name) {
  if (!(fraction > 0.0 && fraction < 1.0))
    throw Error(std::string(name) + " must be in (0, 1), got " + std::to_string(fraction));
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
