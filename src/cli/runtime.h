// Flags shared by every command that runs models: --device, --dtype, --vae-dtype, --threads.
#pragma once
#include <CLI/CLI.hpp>

#include "sdxl/pipeline.h"

namespace sdxl::cli {

struct RuntimeFlags {
  int threads = 0;  // 0: every core available to this process
};

void add_runtime_flags(CLI::App& app, RuntimeFlags& flags, PipelineOptions* pipeline);
// Sets libtorch's intra-op thread count (its default here is 1) and validates device/dtype names.
void apply_runtime(const RuntimeFlags& flags);
int default_threads();
// --reproducible needs MKL_CBWR, ATEN_CPU_CAPABILITY and ONEDNN_MAX_CPU_ISA set before libtorch starts its
// libraries: when they are not, sets them and re-executes this process with the same arguments.
void ensure_reproducible_environment();

}  // namespace sdxl::cli
