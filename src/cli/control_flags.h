// --control PATH --control-image PNG [--control-scale --control-start --control-end --control-preprocess
// --control-config] (each repeatable, the i-th of each belonging to the i-th --control) and
// --control-guess-mode -> the request's controls (README "ControlNet").
#pragma once
#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <vector>

#include "sdxl/request.h"

namespace sdxl::cli {

class ControlFlags {
 public:
  void add_to(CLI::App& app);
  // The controls the flags give, or nothing when there is no --control (then the request keeps what a
  // prompt-file line or --from-png gives). Throws a usage error when the counts do not pair up or a number
  // does not parse; the values themselves are checked by validate().
  std::optional<std::vector<ControlSpec>> controls() const;
  bool guess_mode() const { return guess_mode_; }
  // Adds the request fields these flags give ("controls", "control_guess_mode") to `given` (request JSON).
  void add_given(nlohmann::json& given) const;

 private:
  std::vector<std::string> models_, images_, scales_, starts_, ends_, preprocess_, configs_;
  bool guess_mode_ = false;
};

}  // namespace sdxl::cli
