// `sdxl-gen check-weights PATH... | --preset NAME`: header-only checkpoint validation, and the parameter
// counts of the built-in SDXL 1.0 presets.
#include <iomanip>
#include <iostream>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "weights/check_weights.h"
#include "weights/official_files.h"
#include "weights/presets.h"

namespace sdxl::cli {
namespace {

struct CheckFlags {
  std::vector<std::string> paths;
  std::string config_dir, preset;
  bool no_sha256 = false;
};

int run_check(const CheckFlags& f) {
  if (f.paths.empty() && f.preset.empty()) throw UsageError("check-weights: give a checkpoint PATH or --preset");
  if (!f.preset.empty()) {
    int64_t total = 0;
    std::cout << "preset " << f.preset << "\n";
    for (const auto& [component, count] : preset_param_counts(f.preset)) {
      std::cout << "  " << std::left << std::setw(16) << component << std::right << std::setw(15) << count << "\n";
      total += count;
    }
    std::cout << "  " << std::left << std::setw(16) << "total" << std::right << std::setw(15) << total << "\n";
  }
  bool ok = true;
  for (const auto& path : f.paths) {
    CheckReport report = check_weights(path, f.config_dir);
    // A file under an official name is also compared with the published size and sha256 (weights/README.md).
    if (const auto official = official_file(path); official && !f.no_sha256) {
      const OfficialCheck c = check_official_file(path, *official);
      (c.ok ? report.notes : report.problems).push_back(c.message);
      report.ok = report.ok && c.ok;
    }
    std::cout << format_check_report(report);
    ok = ok && report.ok;
  }
  return ok ? kOk : kFailed;
}

}  // namespace

Command add_check_weights(CLI::App& app) {
  auto f = std::make_shared<CheckFlags>();
  auto* sub = app.add_subcommand("check-weights", "Validate checkpoints from their headers (instant, reads no tensor data)");
  sub->add_option("paths", f->paths, "Single .safetensors files, diffusers folders or component folders");
  sub->add_option("--config", f->config_dir, "Diffusers-style config folder for single files");
  sub->add_flag("--no-sha256", f->no_sha256,
                "Skip the sha256 of files with an official name (sd_xl_base_1.0.safetensors...; ~30 s for 7 GB)");
  sub->add_option("--preset", f->preset, "sdxl-base | sdxl-refiner: print the parameter counts of the built-in configs");
  return Command{sub, [f] {
                   try {
                     return run_check(*f);
                   } catch (const Error& e) {
                     throw UsageError(e.what());
                   }
                 }};
}

}  // namespace sdxl::cli
