#include "cli/runtime.h"

#include <sched.h>

#include <thread>

#include "cli/exit_codes.h"

namespace sdxl::cli {

int default_threads() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) return std::max(1, CPU_COUNT(&set));
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

void add_runtime_flags(CLI::App& app, RuntimeFlags& flags, PipelineOptions* pipeline) {
  app.add_option("--threads", flags.threads, "CPU threads (default: all available cores)")->group("Runtime");
  if (!pipeline) return;
  app.add_option("--device", pipeline->device, "auto | cpu | cuda | cuda:N (default auto)")->group("Runtime");
  app.add_option("--dtype", pipeline->dtype, "auto | fp32 | fp16 | bf16 (default auto: CPU bf16 with native BF16 (AVX-512 BF16/AMX), else fp32; fp16 on CUDA)")
      ->group("Runtime");
  app.add_option("--vae-dtype", pipeline->vae_dtype, "auto | fp32 | fp16 | bf16 (default auto: CPU as --dtype; bf16 on CUDA)")
      ->group("Runtime");
}

void apply_runtime(const RuntimeFlags& flags) {
  if (flags.threads < 0) throw UsageError("--threads: must be >= 0");
  at::set_num_threads(flags.threads > 0 ? flags.threads : default_threads());
}

}  // namespace sdxl::cli
