// Failure injection for the CLI's robustness tests: makes one batch item fail mid-way through sampling,
// as a real failure or as a CUDA out-of-memory error does. Compiled only into the test executable
// (sdxl-gen-test, tests/cli/fault_injection.cpp); the product binary links the no-op in src/cli/main.cpp.
#pragma once
#include <functional>

namespace sdxl::cli {

// Called after each sampling step of item `index` (may throw); empty when no fault is injected.
using FaultHook = std::function<void(int index, int step)>;
FaultHook fault_hook();
// Called by `serve` after the port opens, before the models load (sdxl-gen-test: sleeps SDXL_GEN_SLOW_LOAD_S
// seconds there, so the server tests can see /health while loading).
void before_serve_load();

}  // namespace sdxl::cli
