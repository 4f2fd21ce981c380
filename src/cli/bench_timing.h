// The timing rule of every `sdxl-gen bench` figure: one warm-up run excluded, then the median of `repeat`
// runs, each waiting for the device (defined in bench_command.cpp).
#pragma once
#include <ATen/Device.h>

#include <functional>

namespace sdxl::cli {

double time_median(int repeat, const at::Device& device, const std::function<void()>& f);

}  // namespace sdxl::cli
