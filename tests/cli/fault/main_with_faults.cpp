// sdxl-gen-test: the sdxl-gen command line plus failure injection for the CLI robustness tests.
// SDXL_GEN_FAIL_ITEM=N makes batch item N fail after its first sampling step; SDXL_GEN_FAIL_ITEM=N:oom makes
// it fail as libtorch's CUDA caching allocator does (c10::OutOfMemoryError); SDXL_GEN_FAIL_ITEM=N:kill kills the
// process (SIGKILL) there, as a preempted cluster task dies mid-item. SDXL_GEN_SLOW_LOAD_S=S makes `serve`
// wait S seconds with its port open before loading the models. SDXL_GEN_AVAILABLE_MEMORY=BYTES is the memory
// a run counts on instead of the machine's.
#include <c10/util/Exception.h>

#include <chrono>
#include <thread>

#include <csignal>
#include <cstdlib>
#include <string>

#include "cli/app.h"
#include "cli/fault_injection.h"
#include "common/error.h"

namespace sdxl::cli {

FaultHook fault_hook() {
  const char* spec = std::getenv("SDXL_GEN_FAIL_ITEM");
  if (!spec) return {};
  const int item = std::atoi(spec);
  const std::string text = spec;
  const bool oom = text.size() > 4 && text.compare(text.size() - 4, 4, ":oom") == 0;
  const bool kill = text.size() > 5 && text.compare(text.size() - 5, 5, ":kill") == 0;
  return [item, oom, kill](int index, int step) {
    if (index != item || step != 1) return;
    if (kill) std::raise(SIGKILL);
    if (oom)
      C10_THROW_ERROR(OutOfMemoryError,
                      "CUDA out of memory. Tried to allocate 2.00 GiB. GPU 0 has a total capacity of 79.19 GiB of "
                      "which 1.06 GiB is free. (simulated by SDXL_GEN_FAIL_ITEM)");
    throw Error(ErrorCategory::Generation, "", "forced failure (SDXL_GEN_FAIL_ITEM)");
  };
}

std::optional<uint64_t> available_memory_override() {
  const char* bytes = std::getenv("SDXL_GEN_AVAILABLE_MEMORY");
  if (!bytes) return std::nullopt;
  return std::strtoull(bytes, nullptr, 10);
}

void before_serve_load() {
  if (const char* s = std::getenv("SDXL_GEN_SLOW_LOAD_S"))
    std::this_thread::sleep_for(std::chrono::duration<double>(std::atof(s)));
}

}  // namespace sdxl::cli

int main(int argc, char** argv) { return sdxl::cli::run_app(argc, argv); }
