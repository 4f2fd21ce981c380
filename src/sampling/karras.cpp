#include "sampling/karras.h"

#include <algorithm>
#include <cmath>

#include "sampling/numpy_compat.h"

namespace sdxl {

std::vector<double> karras_sigmas(double sigma_min, double sigma_max, int n) {
  const double rho = 7.0;
  const double min_inv_rho = std::pow(sigma_min, 1.0 / rho);
  const double max_inv_rho = std::pow(sigma_max, 1.0 / rho);
  std::vector<double> out = numpy::linspace(0.0, 1.0, n);  // the ramp
  for (double& r : out) r = std::pow(max_inv_rho + r * (min_inv_rho - max_inv_rho), rho);
  return out;
}

double sigma_to_timestep(double sigma, const std::vector<float>& log_sigmas) {
  const int T = static_cast<int>(log_sigmas.size());
  const double log_sigma = std::log(std::max(sigma, 1e-10));
  // Lower neighbour: the last training timestep whose log-sigma does not exceed ours (0 if none).
  int low = 0;
  for (int k = 0; k < T; ++k)
    if (log_sigma - static_cast<double>(log_sigmas[k]) >= 0) low = k;
  low = std::min(low, T - 2);
  const int high = low + 1;
  const float low_v = log_sigmas[low], high_v = log_sigmas[high];
  // The reference subtracts the two float32 table values in float32.
  double w = (static_cast<double>(low_v) - log_sigma) / static_cast<double>(low_v - high_v);
  w = std::clamp(w, 0.0, 1.0);
  return (1.0 - w) * low + w * high;
}

}  // namespace sdxl
