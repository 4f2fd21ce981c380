// The DDPM training noise schedule (Ho et al. 2020): betas, cumulative alphas and the matching
// k-diffusion sigmas sigma_t = sqrt((1 - alphabar_t) / alphabar_t), all float32 exactly as diffusers builds them.
#pragma once
#include <vector>

#include "sampling/scheduler_config.h"

namespace sdxl {

struct TrainSchedule {
  std::vector<float> betas;           // [T]
  std::vector<float> alphas_cumprod;  // [T], alphabar_t
  std::vector<float> sigmas;          // [T], increasing with t
  float final_alpha_cumprod = 1.0f;   // DDIM: alphabar "after" t = 0 (1 if set_alpha_to_one, else alphabar_0)

  // `terminal_floor`: with rescale_betas_zero_snr, the Euler family and DPM-Solver (not DDIM or LCM) replace
  // the last alphabar 0 by 2^-24 so that the first sigma is finite (4096), as diffusers v0.27.2 does.
  explicit TrainSchedule(const SchedulerConfig& config, bool terminal_floor = false);
  int size() const { return static_cast<int>(betas.size()); }
};

// torch.linspace(start, end, n, dtype=float32) on the CPU, bit for bit as the torch build that produced the
// goldens computed it: blocks of 8 lanes, each from a fused multiply-add base (start + step*i for the first
// half, end - step*(n-1-i) for the second), lanes base + j*step. libtorch 2.11 differs in the last bit of some
// values, so sdxl-gen computes the table itself.
std::vector<float> torch_linspace_f32(double start, double end, int n);

}  // namespace sdxl
