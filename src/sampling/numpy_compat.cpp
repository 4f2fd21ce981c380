#include "sampling/numpy_compat.h"

#include <cmath>

namespace sdxl::numpy {

std::vector<double> linspace(double start, double stop, int num) {
  std::vector<double> y(num > 0 ? num : 0);
  if (num <= 0) return y;
  const int div = num - 1;
  if (div == 0) {
    y[0] = start;
    return y;
  }
  const double delta = stop - start;
  const double step = delta / div;
  for (int i = 0; i < num; ++i) y[i] = (step == 0 ? (i / static_cast<double>(div)) * delta : i * step) + start;
  y[num - 1] = stop;
  return y;
}

std::vector<double> arange_down(double start, double step, int count) {
  const double delta = (start - step) - start;
  std::vector<double> y(count);
  for (int i = 0; i < count; ++i) y[i] = start + i * delta;
  return y;
}

double round_half_even(double x) { return std::nearbyint(x); }  // default rounding mode: to nearest, ties to even

double interp_unit_grid(double x, const std::vector<float>& fp) {
  const int n = static_cast<int>(fp.size());
  if (std::isnan(x)) return x;
  if (x < 0) return fp[0];
  if (x >= n - 1) return fp[n - 1];
  const int j = static_cast<int>(std::floor(x));
  if (x == j) return fp[j];
  const double slope = (static_cast<double>(fp[j + 1]) - static_cast<double>(fp[j])) / 1.0;
  return slope * (x - j) + static_cast<double>(fp[j]);
}

}  // namespace sdxl::numpy
