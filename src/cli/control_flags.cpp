#include "cli/control_flags.h"

#include <cerrno>
#include <cstdlib>

#include "cli/exit_codes.h"

namespace sdxl::cli {

void ControlFlags::add_to(CLI::App& app) {
  const char* group = "Control";
  app.add_option("--control", models_,
                 "ControlNet: diffusers folder or .safetensors (diffusers or original layout), kind detected from the "
                 "tensors (repeatable: several are summed)")
      ->group(group);
  app.add_option("--control-image", images_, "Control image (PNG) of the i-th --control, resized to the output size")
      ->group(group);
  app.add_option("--control-scale", scales_, "Residual scale of the i-th --control (default 1)")->group(group);
  app.add_option("--control-start", starts_, "Fraction of the steps before the i-th --control starts (default 0)")
      ->group(group);
  app.add_option("--control-end", ends_, "Fraction of the steps after which the i-th --control stops (default 1)")
      ->group(group);
  app.add_option("--control-preprocess", preprocess_,
                 "Preprocessor of the i-th control image: none (default) or canny[:LOW,HIGH] (OpenCV, default 100,200)")
      ->group(group);
  app.add_option("--control-config", configs_,
                 "diffusers config folder of the i-th --control, for a single file whose shape cannot be inferred")
      ->group(group);
  app.add_flag("--control-guess-mode", guess_mode_,
               "Guess mode: with CFG the controls see the conditional half only, residuals weighted 0.1 to 1 by depth")
      ->group(group);
}

namespace {

double number(const std::string& flag, const std::string& text) {
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || !end || *end != '\0' || errno != 0) throw UsageError(flag + " " + text + ": expected a number");
  return v;
}

}  // namespace

std::optional<std::vector<ControlSpec>> ControlFlags::controls() const {
  const size_t n = models_.size();
  if (n == 0) {
    if (!images_.empty() || !scales_.empty() || !starts_.empty() || !ends_.empty() || !preprocess_.empty() ||
        !configs_.empty())
      throw UsageError("--control-image/--control-scale/... need a --control PATH to belong to");
    return std::nullopt;
  }
  auto paired = [n](const char* flag, size_t count, bool required) {
    if (count == n || (!required && count == 0)) return;
    throw UsageError(std::string(flag) + " is given " + std::to_string(count) + " time(s) for " + std::to_string(n) +
                     " --control: give one per --control, in the same order" + (required ? "" : " (or none)"));
  };
  paired("--control-image", images_.size(), true);
  paired("--control-scale", scales_.size(), false);
  paired("--control-start", starts_.size(), false);
  paired("--control-end", ends_.size(), false);
  paired("--control-preprocess", preprocess_.size(), false);
  paired("--control-config", configs_.size(), false);
  std::vector<ControlSpec> out(n);
  for (size_t i = 0; i < n; ++i) {
    ControlSpec& c = out[i];
    c.model = models_[i];
    c.image = images_[i];
    if (!scales_.empty()) c.scale = number("--control-scale", scales_[i]);
    if (!starts_.empty()) c.start = number("--control-start", starts_[i]);
    if (!ends_.empty()) c.end = number("--control-end", ends_[i]);
    if (!preprocess_.empty()) c.preprocess = preprocess_[i];
    if (!configs_.empty()) c.config = configs_[i];
  }
  return out;
}

void ControlFlags::add_given(nlohmann::json& given) const {
  if (const auto list = controls()) {
    nlohmann::json out = nlohmann::json::array();
    for (const ControlSpec& c : *list) {
      nlohmann::json e = {{"model", c.model}, {"image", c.image}, {"scale", c.scale}, {"start", c.start},
                          {"end", c.end}, {"preprocess", c.preprocess}};
      if (!c.config.empty()) e["config"] = c.config;
      out.push_back(e);
    }
    given["controls"] = out;
  }
  if (guess_mode_) given["control_guess_mode"] = true;
}

}  // namespace sdxl::cli
