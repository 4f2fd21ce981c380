// Karras et al. 2022 ("Elucidating the Design Space of Diffusion-Based Generative Models", eq. 5) noise levels,
// and the map from a sigma back to a (fractional) training timestep by interpolating log-sigma.
#pragma once
#include <vector>

namespace sdxl {

// n sigmas from sigma_max down to sigma_min, evenly spaced in sigma^(1/rho), rho = 7 (float64).
std::vector<double> karras_sigmas(double sigma_min, double sigma_max, int n);

// Fractional timestep whose log-sigma matches log(sigma), linear between the two neighbouring training
// timesteps; `log_sigmas` = float32 log of the training sigmas (increasing with t). Clamped to [0, T-1].
double sigma_to_timestep(double sigma, const std::vector<float>& log_sigmas);

}  // namespace sdxl
