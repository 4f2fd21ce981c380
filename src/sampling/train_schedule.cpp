#include "sampling/train_schedule.h"

#include <cmath>

#include "common/error.h"

namespace sdxl {

std::vector<float> torch_linspace_f32(double start_d, double end_d, int n) {
  if (n < 2) return std::vector<float>(n, static_cast<float>(start_d));
  const float start = static_cast<float>(start_d), end = static_cast<float>(end_d);
  const float step = (end - start) / static_cast<float>(n - 1);
  const int64_t halfway = n / 2;
  // One value of the scalar kernel; the vector kernel uses it as the base of each 8-lane block.
  auto at = [&](int64_t idx) {
    return idx < halfway ? std::fma(step, static_cast<float>(idx), start)
                         : std::fma(-step, static_cast<float>(n - idx - 1), end);
  };
  constexpr int kLanes = 8;
  std::vector<float> out(n);
  int64_t i = 0;
  for (; i + 2 * kLanes <= n; i += 2 * kLanes) {  // the vector loop fills two blocks per iteration
    for (int64_t block = i; block < i + 2 * kLanes; block += kLanes) {
      const float base = at(block);
      for (int j = 0; j < kLanes; ++j) out[block + j] = std::fma(static_cast<float>(j), step, base);
    }
  }
  for (; i < n; ++i) out[i] = at(i);
  return out;
}

namespace {

// torch.cumprod of float32 values on the CPU: products accumulated in double, each output rounded.
std::vector<float> cumprod_f32(const std::vector<float>& alphas) {
  std::vector<float> out(alphas.size());
  double running = 1.0;
  for (size_t t = 0; t < alphas.size(); ++t) {
    running *= static_cast<double>(alphas[t]);
    out[t] = static_cast<float>(running);
  }
  return out;
}

// Lin et al. 2023, Algorithm 1 (diffusers rescale_zero_terminal_snr), every operation in float32: shift
// sqrt(alphabar) so the last is 0, scale so the first keeps its value, and turn it back into betas.
std::vector<float> rescale_zero_terminal_snr(const std::vector<float>& betas) {
  std::vector<float> alphas(betas.size());
  for (size_t t = 0; t < betas.size(); ++t) alphas[t] = 1.0f - betas[t];
  std::vector<float> bar_sqrt = cumprod_f32(alphas);
  for (float& v : bar_sqrt) v = std::sqrt(v);
  const float first = bar_sqrt.front(), last = bar_sqrt.back();
  const float scale = first / (first - last);
  std::vector<float> bar(bar_sqrt.size());
  for (size_t t = 0; t < bar.size(); ++t) {
    const float shifted = (bar_sqrt[t] - last) * scale;
    bar[t] = shifted * shifted;
  }
  std::vector<float> out(bar.size());
  out[0] = 1.0f - bar[0];
  for (size_t t = 1; t < bar.size(); ++t) out[t] = 1.0f - bar[t] / bar[t - 1];
  return out;
}

}  // namespace

TrainSchedule::TrainSchedule(const SchedulerConfig& config, bool terminal_floor) {
  const int T = config.num_train_timesteps;
  if (!config.trained_betas.empty()) {
    if (static_cast<int>(config.trained_betas.size()) != T)
      throw Error(ErrorCategory::Input, "", "scheduler config: trained_betas has " + std::to_string(config.trained_betas.size()) +
                  " values, num_train_timesteps is " + std::to_string(T));
    for (double b : config.trained_betas) betas.push_back(static_cast<float>(b));
  } else if (config.beta_schedule == BetaSchedule::ScaledLinear) {
    // "scaled_linear" (latent diffusion): linear in sqrt(beta), then squared.
    betas = torch_linspace_f32(std::sqrt(config.beta_start), std::sqrt(config.beta_end), T);
    for (float& b : betas) b = b * b;
  } else {
    betas = torch_linspace_f32(config.beta_start, config.beta_end, T);
  }
  if (config.rescale_betas_zero_snr) betas = rescale_zero_terminal_snr(betas);
  std::vector<float> alphas(T);
  for (int t = 0; t < T; ++t) alphas[t] = 1.0f - betas[t];
  alphas_cumprod = cumprod_f32(alphas);
  if (config.rescale_betas_zero_snr && terminal_floor) alphas_cumprod.back() = std::ldexp(1.0f, -24);
  sigmas.resize(T);
  for (int t = 0; t < T; ++t) {
    const float a = alphas_cumprod[t];
    sigmas[t] = std::sqrt((1.0f - a) / a);
  }
  final_alpha_cumprod = config.set_alpha_to_one ? 1.0f : alphas_cumprod[0];
}

}  // namespace sdxl
