#include "cli/lora_flags.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "cli/exit_codes.h"
#include "common/strings.h"

namespace sdxl::cli {

std::vector<LoraSpec> parse_lora_flags(const std::vector<std::string>& values) {
  std::vector<LoraSpec> out;
  for (const std::string& v : values) {
    LoraSpec spec{v, 1.0};
    const size_t colon = v.rfind(':');
    if (colon != std::string::npos && colon + 1 < v.size()) {
      const std::string tail = v.substr(colon + 1);
      char* end = nullptr;
      errno = 0;
      const double m = std::strtod(tail.c_str(), &end);
      if (end && *end == '\0' && errno == 0) {
        if (!std::isfinite(m)) throw UsageError("--lora " + v + ": the multiplier must be a finite number");
        spec = {v.substr(0, colon), m};
      } else if (ends_with(ascii_lower(v.substr(0, colon)), ".safetensors")) {
        // "a.safetensors:abc" is a file and a mistyped multiplier, not a file named "a.safetensors:abc".
        throw UsageError("--lora " + v + ": the multiplier '" + tail + "' is not a number");
      }
    }
    if (spec.path.empty()) throw UsageError("--lora " + v + ": expected FILE[:MULTIPLIER]");
    out.push_back(spec);
  }
  return out;
}

}  // namespace sdxl::cli
