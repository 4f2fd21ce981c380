// sdxl-gen's exit codes (documented in README.md and --help) and the one place that turns a library error
// into what the user sees: the error's category picks the exit code, its request field is spelled as the
// flag the user typed.
#pragma once
#include <string>

#include "common/error.h"

namespace sdxl::cli {

enum ExitCode : int {
  kOk = 0,
  kFailed = 1,          // generation failed (also out of memory); `compare`: images differ; `check-weights`: problems
  kUsage = 2,           // bad flag or value, or an output that cannot be written (one line on stderr names it)
  kInput = 3,           // a model, image or prompt file is missing, unreadable or invalid
  kPartial = 4,         // batch: some items failed or were skipped as invalid, the rest were written
  kInterrupted = 130,   // SIGINT/SIGTERM: the current image was abandoned, finished ones are kept
};

// A bad flag or flag value found by the CLI itself (exit code kUsage).
struct UsageError : sdxl::Error {
  explicit UsageError(const std::string& message) : sdxl::Error(ErrorCategory::Usage, "", message) {}
};

ExitCode exit_code(ErrorCategory category);
// "init_image" -> "--init-image": every request and pipeline option field has the flag of its name.
std::string flag_for_field(const std::string& field);
// The message for a flag-level error: "--init-image: no such file x.png" (or the plain message).
std::string flag_message(const sdxl::Error& e);

}  // namespace sdxl::cli
