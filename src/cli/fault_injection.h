// Failure injection for the CLI's robustness tests: makes one batch item fail mid-way through sampling,
// as a real failure or as a CUDA out-of-memory error does, or sets the memory a run counts on. Compiled
// only into the test executable (sdxl-gen-test, tests/cli/fault/main_with_faults.cpp); the product binary
// links the no-ops in src/cli/main.cpp.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>

namespace sdxl::cli {

// Called after each sampling step of item `index` (may throw); empty when no fault is injected.
using FaultHook = std::function<void(int index, int step)>;
FaultHook fault_hook();
// The memory a run may count on (RunSpec::memory_available), nullopt: the machine's. sdxl-gen-test: the bytes
// in SDXL_GEN_AVAILABLE_MEMORY, so a test can let an item past the up-front memory refusal to a real
// allocation failure.
std::optional<uint64_t> available_memory_override();
// Called by `serve` after the port opens, before the models load (sdxl-gen-test: sleeps SDXL_GEN_SLOW_LOAD_S
// seconds there, so the server tests can see /health while loading).
void before_serve_load();

}  // namespace sdxl::cli
