// --ip-adapter FILE[:SCALE] --ip-image PNG [--image-encoder PATH] (README "Image prompts (IP-Adapter)"):
// repeatable, paired by order, into the request's ip_adapters.
#pragma once
#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "sdxl/request.h"

namespace sdxl::cli {

struct IpAdapterFlags {
  std::vector<std::string> adapters, images, encoders;
  bool given() const { return !adapters.empty() || !images.empty() || !encoders.empty(); }
};

void add_ip_adapter_flags(CLI::App& app, IpAdapterFlags& flags);

// "ip.safetensors:0.6" -> {ip.safetensors, scale 0.6} (the text after the last ':' is a scale only when it
// parses as a number); the i-th --ip-image goes with the i-th --ip-adapter; --image-encoder is given once (for
// every adapter) or once per adapter. Throws UsageError for counts that do not pair up, an empty path or a
// non-finite scale.
std::vector<IpAdapterSpec> parse_ip_adapter_flags(const IpAdapterFlags& flags);
// The same as the request's "ip_adapters" JSON value (what the run layer takes as a given field).
nlohmann::json ip_adapter_flags_json(const IpAdapterFlags& flags);

}  // namespace sdxl::cli
