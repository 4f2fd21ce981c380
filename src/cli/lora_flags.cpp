#include "cli/lora_flags.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "cli/exit_codes.h"
#include "common/strings.h"

namespace sdxl::cli {

std::pair<std::string, std::optional<double>> split_file_number(const std::string& v, const std::string& flag,
                                                                const std::string& what) {
  const size_t colon = v.rfind(':');
  if (colon != std::string::npos && colon + 1 < v.size()) {
    const std::string tail = v.substr(colon + 1);
    char* end = nullptr;
    errno = 0;
    const double m = std::strtod(tail.c_str(), &end);
    if (end && *end == '\0' && errno == 0) {
      if (!std::isfinite(m)) throw UsageError(flag + " " + v + ": the " + what + " must be a finite number");
      return {v.substr(0, colon), m};
    }
    if (ends_with(ascii_lower(v.substr(0, colon)), ".safetensors")) {
      // "a.safetensors:abc" is a file and a mistyped number, not a file named "a.safetensors:abc".
      throw UsageError(flag + " " + v + ": the " + what + " '" + tail + "' is not a number");
    }
  }
  return {v, std::nullopt};
}

std::vector<LoraSpec> parse_lora_flags(const std::vector<std::string>& values) {
  std::vector<LoraSpec> out;
  for (const std::string& v : values) {
    const auto [path, multiplier] = split_file_number(v, "--lora", "multiplier");
    LoraSpec spec{path, multiplier.value_or(1.0)};
    if (spec.path.empty()) throw UsageError("--lora " + v + ": expected FILE[:MULTIPLIER]");
    out.push_back(spec);
  }
  return out;
}

}  // namespace sdxl::cli
