// The default command's flags: each one fills a field of the RunSpec (sdxl/run.h) or of the request it
// carries (cli/request_flags.h); only the spelling lives here.
#pragma once
#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "cli/control_flags.h"
#include "cli/ip_adapter_flags.h"
#include "cli/request_flags.h"
#include "cli/runtime.h"
#include "sdxl/run.h"

namespace sdxl::cli {

struct GenerateFlags {
  RequestFlags request;
  RunSpec spec;
  RuntimeFlags runtime;
  std::vector<std::string> loras;  // --lora FILE[:MULTIPLIER]
  ControlFlags control;            // --control ... (README "ControlNet")
  IpAdapterFlags ip_adapters;      // --ip-adapter FILE[:SCALE] --ip-image PNG [--image-encoder PATH]
  std::string metadata = "full";
  bool json = false, quiet = false;
};

void add_generate_flags(CLI::App& app, GenerateFlags& f);

}  // namespace sdxl::cli
