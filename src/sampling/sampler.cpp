#include "sampling/sampler.h"

#include <cmath>

#include "common/error.h"

namespace sdxl {
namespace {

// The reference keeps sigmas and alphas as float32 tensors and does its scalar maths in float32 (sqrt and
// division correctly rounded); log / exp are rounded from double.
float log32(float x) { return static_cast<float>(std::log(static_cast<double>(x))); }
float exp32(float x) { return static_cast<float>(std::exp(static_cast<double>(x))); }

// k-diffusion denoiser output x0 for the Euler family (x = x0 + sigma * eps).
at::Tensor euler_x0(const Schedule& s, const at::Tensor& out, const at::Tensor& x, float sigma) {
  if (s.prediction_type == PredictionType::Epsilon) return x - out * sigma;
  if (s.prediction_type == PredictionType::Sample) return out;
  const float var = sigma * sigma + 1.0f;  // v-prediction: c_out = -sigma / sqrt(sigma^2+1), c_skip = 1/(sigma^2+1)
  return out * (-sigma / std::sqrt(var)) + x / var;
}

// Euler (Karras et al. 2022, Algorithm 2 with s_churn = 0): x += (x - x0)/sigma * (sigma_next - sigma).
at::Tensor euler_step(const Schedule& s, int k, const at::Tensor& out, const at::Tensor& x, NoiseSource& noise,
                      at::Tensor& x0) {
  const at::Tensor sample = x.to(at::kFloat);
  const float sigma = static_cast<float>(s.sigmas[k]), sigma_next = static_cast<float>(s.sigmas[k + 1]);
  noise.randn(out.sizes(), out.options());  // the reference draws the churn noise even when s_churn = 0
  x0 = euler_x0(s, out, sample, sigma);
  const at::Tensor derivative = (sample - x0) / sigma;
  return (sample + derivative * (sigma_next - sigma)).to(out.scalar_type());
}

// Euler ancestral: deterministic Euler step to sigma_down, then fresh noise of std sigma_up.
at::Tensor euler_ancestral_step(const Schedule& s, int k, const at::Tensor& out, const at::Tensor& x,
                                NoiseSource& noise, at::Tensor& x0) {
  const float sigma = static_cast<float>(s.sigmas[k]);
  const AncestralSigmas a = ancestral_sigmas(sigma, static_cast<float>(s.sigmas[k + 1]));
  const at::Tensor sample = x.to(at::kFloat);
  x0 = euler_x0(s, out, sample, sigma);
  const at::Tensor derivative = (sample - x0) / sigma;
  at::Tensor prev = sample + derivative * (a.down - sigma);
  prev = prev + noise.randn(out.sizes(), out.options()) * a.up;
  return prev.to(out.scalar_type());
}

// DDIM, eta = 0 (Song et al. 2021, eq. 12): x_prev = sqrt(a_prev) x0 + sqrt(1 - a_prev) eps.
at::Tensor ddim_step(const Schedule& s, int k, const at::Tensor& out, const at::Tensor& x, at::Tensor& x0) {
  const float a = static_cast<float>(s.alpha_prod_t[k]), a_prev = static_cast<float>(s.alpha_prod_t_prev[k]);
  const float b = 1.0f - a;
  at::Tensor eps = out;
  switch (s.prediction_type) {
    case PredictionType::Epsilon: x0 = (x - out * std::sqrt(b)) / std::sqrt(a); break;
    case PredictionType::Sample:
      x0 = out;
      eps = (x - x0 * std::sqrt(a)) / std::sqrt(b);
      break;
    case PredictionType::VPrediction:
      x0 = x * std::sqrt(a) - out * std::sqrt(b);
      eps = out * std::sqrt(a) + x * std::sqrt(b);
      break;
  }
  if (s.clip_sample) x0 = x0.clamp(-s.clip_sample_range, s.clip_sample_range);
  return x0 * std::sqrt(a_prev) + eps * std::sqrt(1.0f - a_prev);
}

// LCM (Luo et al. 2023, "Latent Consistency Models", eq. 9 and Algorithm 1 / diffusers LCMScheduler.step):
// x0 from the model output as DDIM, the consistency function's boundary-condition mix
// denoised = c_out(t) x0 + c_skip(t) x, then re-noise to the next timestep with fresh noise (none at the last
// step, whose result is `denoised` itself).
at::Tensor lcm_step(const Schedule& s, int k, const at::Tensor& out, const at::Tensor& x, NoiseSource& noise,
                    at::Tensor& x0) {
  const float a = static_cast<float>(s.alpha_prod_t[k]), a_next = static_cast<float>(s.alpha_prod_t_prev[k]);
  const float b = 1.0f - a;
  switch (s.prediction_type) {
    case PredictionType::Epsilon: x0 = (x - out * std::sqrt(b)) / std::sqrt(a); break;
    case PredictionType::Sample: x0 = out; break;
    case PredictionType::VPrediction: x0 = x * std::sqrt(a) - out * std::sqrt(b); break;
  }
  if (s.clip_sample) x0 = x0.clamp(-s.clip_sample_range, s.clip_sample_range);
  // sigma_data = 0.5; the timestep is scaled by timestep_scaling (10) before the scalings, in float32.
  const float scaled = static_cast<float>(s.timesteps[k]) * static_cast<float>(s.timestep_scaling);
  const float c_skip = 0.25f / (scaled * scaled + 0.25f);
  const float c_out = scaled / std::sqrt(scaled * scaled + 0.25f);
  const at::Tensor denoised = x0 * c_out + x * c_skip;
  x0 = denoised;
  if (k == s.num_inference_steps() - 1) return denoised;
  const at::Tensor fresh = noise.randn(out.sizes(), denoised.options());
  return denoised * std::sqrt(a_next) + fresh * std::sqrt(1.0f - a_next);
}

// Variance-preserving (alpha_t, sigma_t) of a k-diffusion sigma: alpha = 1/sqrt(sigma^2+1), sigma_t = sigma*alpha.
struct AlphaSigma {
  float alpha, sigma, lambda;  // lambda = log(alpha / sigma), the half log-SNR
};
AlphaSigma alpha_sigma(double sigma_d) {
  const float sigma = static_cast<float>(sigma_d);
  const float alpha = 1.0f / std::sqrt(sigma * sigma + 1.0f);
  const float sigma_t = sigma * alpha;
  return {alpha, sigma_t, log32(alpha) - log32(sigma_t)};
}

}  // namespace

AncestralSigmas ancestral_sigmas(float from, float to) {
  const float up = std::sqrt(to * to * (from * from - to * to) / (from * from));
  return {up, std::sqrt(to * to - up * up)};
}

Sampler::Sampler(Schedule schedule) : schedule_(std::move(schedule)) {
  const int n = schedule_.num_inference_steps();
  if (n < 1 || static_cast<int>(schedule_.sigmas.size()) != n + 1 || schedule_.begin < 0 ||
      schedule_.begin > schedule_.end || schedule_.end > n)
    throw Error(ErrorCategory::Input, "", "sampler: inconsistent schedule (" + std::to_string(n) + " timesteps, range [" +
                std::to_string(schedule_.begin) + ", " + std::to_string(schedule_.end) + "))");
}

int Sampler::global_index(int i, const char* what) const {
  if (i < 0 || i >= schedule_.size())
    throw Error(ErrorCategory::Input, "", std::string("sampler: ") + what + " step " + std::to_string(i) + " outside the " +
                std::to_string(schedule_.size()) + " steps of this schedule");
  return schedule_.begin + i;
}

at::Tensor Sampler::timestep(int i) const {
  return at::scalar_tensor(schedule_.timesteps[global_index(i, "timestep of")], at::kFloat);
}

at::Tensor Sampler::scale_model_input(const at::Tensor& x, int i) const {
  const int k = global_index(i, "scale_model_input at");
  if (schedule_.kind != SamplerKind::Euler && schedule_.kind != SamplerKind::EulerAncestral) return x;
  const float sigma = static_cast<float>(schedule_.sigmas[k]);
  return x / std::sqrt(sigma * sigma + 1.0f);
}

at::Tensor Sampler::step(const at::Tensor& out, int i, const at::Tensor& x, NoiseSource& noise,
                         at::Tensor* pred_original) {
  const int k = global_index(i, "step");
  if (i != next_step_)
    throw Error(ErrorCategory::Input, "", "sampler: step " + std::to_string(i) + " called out of order (expected " +
                std::to_string(next_step_) + ")");
  at::Tensor x0, prev;
  const Schedule& s = schedule_;
  switch (s.kind) {
    case SamplerKind::DDIM: prev = ddim_step(s, k, out, x, x0); break;
    case SamplerKind::LCM: prev = lcm_step(s, k, out, x, noise, x0); break;
    case SamplerKind::Euler: prev = euler_step(s, k, out, x, noise, x0); break;
    case SamplerKind::EulerAncestral: prev = euler_ancestral_step(s, k, out, x, noise, x0); break;
    case SamplerKind::DPMPP2M: {
      // DPM-Solver++(2M) (Lu et al. 2022, Algorithm 2), data prediction, midpoint form; first order at the
      // first step and at the last (final sigma 0).
      const AlphaSigma s0 = alpha_sigma(s.sigmas[k]), t = alpha_sigma(s.sigmas[k + 1]);
      switch (s.prediction_type) {
        case PredictionType::Epsilon: x0 = (x - out * s0.sigma) / s0.alpha; break;
        case PredictionType::Sample: x0 = out; break;
        case PredictionType::VPrediction: x0 = x * s0.alpha - out * s0.sigma; break;
      }
      const at::Tensor sample = x.to(at::kFloat);
      const float h = t.lambda - s0.lambda;
      const float e = t.alpha * (exp32(-h) - 1.0f);
      prev = sample * (t.sigma / s0.sigma) - x0 * e;
      const bool last = k == s.num_inference_steps() - 1;
      if (lower_order_steps_ >= 1 && !last) {
        const AlphaSigma s1 = alpha_sigma(s.sigmas[k - 1]);
        const float r0 = (s0.lambda - s1.lambda) / h;
        const at::Tensor d1 = (x0 - previous_x0_) * (1.0f / r0);
        prev = prev - d1 * (0.5f * e);
      }
      previous_x0_ = x0;
      lower_order_steps_ = std::min(lower_order_steps_ + 1, 2);
      prev = prev.to(x0.scalar_type());
      break;
    }
  }
  ++next_step_;
  if (pred_original) *pred_original = x0;
  return prev;
}

at::Tensor Sampler::add_noise(const at::Tensor& original, const at::Tensor& noise, int i) const {
  const int k = global_index(i, "add_noise at");
  const Schedule& s = schedule_;
  switch (s.kind) {
    case SamplerKind::DDIM:
    case SamplerKind::LCM: {
      const float a = static_cast<float>(s.alpha_prod_t[k]);
      return original * std::sqrt(a) + noise * std::sqrt(1.0f - a);
    }
    case SamplerKind::DPMPP2M: {
      const AlphaSigma as = alpha_sigma(s.sigmas[k]);
      return original * as.alpha + noise * as.sigma;
    }
    case SamplerKind::Euler:
    case SamplerKind::EulerAncestral: break;
  }
  return original + noise * static_cast<float>(s.sigmas[k]);
}

}  // namespace sdxl
