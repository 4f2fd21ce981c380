// What `sdxl-gen --version` reports and the PNG metadata records: the program version and git commit
// (from CMake at configure time), the libtorch it runs on, and what that libtorch can use here.
#pragma once
#include <string>

namespace sdxl::cli {

// "sdxl-gen 0.1.0 (abc1234)": recorded in every PNG.
std::string version_line();
// Several lines: version and commit, libtorch version, CUDA/cuDNN availability, the CPU kernels libtorch
// dispatches to (its cpu capability) and the CPU's AVX-512/BF16/AMX features.
std::string version_report();

}  // namespace sdxl::cli
