// The sdxl-gen executable: the command line (cli/app.h) without fault injection.
#include "cli/app.h"
#include "cli/fault_injection.h"

namespace sdxl::cli {
FaultHook fault_hook() { return {}; }
std::optional<uint64_t> available_memory_override() { return std::nullopt; }
void before_serve_load() {}
}  // namespace sdxl::cli

int main(int argc, char** argv) { return sdxl::cli::run_app(argc, argv); }
