// sdxl-gen's exit codes (documented in README.md and --help).
#pragma once

namespace sdxl::cli {

enum ExitCode : int {
  kOk = 0,
  kFailed = 1,          // generation failed; `compare`: images differ; `check-weights`: problems found
  kUsage = 2,           // bad flag or value (one line on stderr names it)
  kInput = 3,           // a model, image or prompt file is missing, unreadable or invalid
  kPartial = 4,         // batch: some items failed or were skipped as invalid, the rest were written
  kInterrupted = 130,   // SIGINT/SIGTERM: the current image was abandoned, finished ones are kept
};

}  // namespace sdxl::cli

#include "common/error.h"

namespace sdxl::cli {

// A bad flag or flag value (exit code kUsage); plain sdxl::Error means a bad input file (kInput).
struct UsageError : sdxl::Error {
  using sdxl::Error::Error;
};

}  // namespace sdxl::cli
