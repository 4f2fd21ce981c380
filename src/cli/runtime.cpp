#include "cli/runtime.h"

#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <thread>

#include "cli/app.h"
#include "cli/exit_codes.h"
#include "pipeline/reproducible.h"

namespace sdxl::cli {

int default_threads() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) return std::max(1, CPU_COUNT(&set));
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

void add_runtime_flags(CLI::App& app, RuntimeFlags& flags, PipelineOptions* pipeline) {
  app.add_option("--threads", flags.threads, "CPU threads (default: all available cores)")->group("Runtime");
  if (!pipeline) return;
  // Parsed as the flag is read: an unknown name is a usage error naming the flag (run_app reports it).
  app.add_option_function<std::string>(
         "--device", [pipeline](const std::string& v) { pipeline->device = parse_device(v); },
         "auto | cpu | cuda | cuda:N (default auto)")
      ->group("Runtime");
  app.add_option_function<std::string>(
         "--dtype", [pipeline](const std::string& v) { pipeline->dtype = parse_dtype(v, "dtype"); },
         "auto | fp32 | fp16 | bf16 (default auto: CPU bf16 with native BF16 (AVX-512 BF16/AMX), else fp32; fp16 on CUDA)")
      ->group("Runtime");
  app.add_option_function<std::string>(
         "--vae-dtype", [pipeline](const std::string& v) { pipeline->vae_dtype = parse_dtype(v, "vae_dtype"); },
         "auto | fp32 | fp16 | bf16 (default auto: CPU as --dtype; bf16 on CUDA)")
      ->group("Runtime");
  app.add_flag("--reproducible", pipeline->reproducible,
               "The same PNG bytes at any --threads and on any AVX2/AVX-512 CPU: pins MKL, ATen and oneDNN code paths "
               "(dtype auto means fp32; bf16 products run in fp32, so bf16 costs about what fp32 does; recorded in the PNG, "
               "so --from-png and verify keep it)")
      ->group("Runtime");
}

void ensure_reproducible_environment() {
  if (reproducible_environment_missing().empty()) return;
  for (const auto& [name, value] : reproducible_environment()) setenv(name.c_str(), value.c_str(), 1);
  std::vector<char*> argv;
  for (const auto& a : invocation_args()) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  execv("/proc/self/exe", argv.data());
  throw Error(ErrorCategory::Generation, "reproducible", std::string("cannot re-execute /proc/self/exe: ") + std::strerror(errno));
}

void apply_runtime(const RuntimeFlags& flags) {
  if (flags.threads < 0) throw UsageError("--threads: must be >= 0");
  at::set_num_threads(flags.threads > 0 ? flags.threads : default_threads());
}

}  // namespace sdxl::cli
