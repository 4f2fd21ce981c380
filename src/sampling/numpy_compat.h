// The few numpy float64 routines diffusers' set_timesteps uses, reproduced to the last bit so that timesteps
// and sigmas equal the reference's (numpy 2 semantics).
#pragma once
#include <vector>

namespace sdxl::numpy {

// np.linspace(start, stop, num) (endpoint included; num == 1 gives [start]).
std::vector<double> linspace(double start, double stop, int num);
// The first `count` values of np.arange(start, 0, -step) for step > 0: start + i*delta with
// delta = (start - step) - start, as numpy fills float ranges.
std::vector<double> arange_down(double start, double step, int count);
// np.round: half to even.
double round_half_even(double x);
// np.interp(x, arange(len(fp)), fp): linear interpolation in float64 over float32 table values, clamped at the ends.
double interp_unit_grid(double x, const std::vector<float>& fp);

}  // namespace sdxl::numpy
