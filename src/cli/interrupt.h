// SIGINT/SIGTERM handling for long batches: the first signal asks the run to stop after abandoning the
// current image cleanly (no partial file); a second one exits at once.
#pragma once

namespace sdxl::cli {

void install_interrupt_handlers();
bool interrupt_requested();

}  // namespace sdxl::cli
