// SIGINT/SIGTERM handling for long batches: the first signal asks the run to stop after abandoning the
// current image cleanly (no partial file); a second one exits at once.
#pragma once
#include <stdexcept>

namespace sdxl::cli {

void install_interrupt_handlers();
bool interrupt_requested();
int interrupt_signal();  // the signal received, 0 if none

struct Interrupted : std::runtime_error {
  Interrupted() : std::runtime_error("interrupted") {}
};

}  // namespace sdxl::cli
