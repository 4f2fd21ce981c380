#include "cli/exit_codes.h"

namespace sdxl::cli {

ExitCode exit_code(ErrorCategory category) {
  switch (category) {
    case ErrorCategory::Usage:
    case ErrorCategory::Output:
      return kUsage;
    case ErrorCategory::Input:
      return kInput;
    case ErrorCategory::Resource:
    case ErrorCategory::Generation:
      return kFailed;
  }
  return kFailed;
}

std::string flag_for_field(const std::string& field) {
  std::string flag = "--" + field;
  for (char& c : flag)
    if (c == '_') c = '-';
  return flag;
}

std::string flag_message(const sdxl::Error& e) {
  // The run layer refuses an existing output naming the option that would allow it; say both ways out.
  if (e.category() == ErrorCategory::Output && e.field() == "overwrite")
    return e.detail() + "; use --overwrite to replace or --resume to skip existing outputs";
  return e.field().empty() ? e.detail() : flag_for_field(e.field()) + ": " + e.detail();
}

}  // namespace sdxl::cli
