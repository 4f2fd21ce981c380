// `sdxl-gen preprocess canny IN.png OUT.png [--low 100] [--high 200]`: writes the edge map that
// `--control-preprocess canny[:LOW,HIGH]` feeds a ControlNet, so users can look at it first.
#include <iostream>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "control/canny.h"
#include "io/image_file.h"
#include "io/png.h"

namespace sdxl::cli {
namespace {

struct PreprocessFlags {
  std::string kind, in, out;
  int low = 100, high = 200;
};

int run_preprocess(const PreprocessFlags& f) {
  // The same syntax check as --control-preprocess (kind and thresholds).
  const ControlPreprocess pre = parse_control_preprocess(
      f.kind + (f.kind == "canny" ? ":" + std::to_string(f.low) + "," + std::to_string(f.high) : ""), "preprocess");
  if (!pre.canny) throw usage_error("preprocess", "expected a preprocessor to run (supported: canny)");
  io::Image image;
  try {
    image = io::read_image(f.in);
  } catch (const Error& e) {
    throw input_error("", e.what());
  }
  io::write_png(f.out, canny(image, pre.thresholds));
  std::cout << "wrote " << f.out << "\n";
  return kOk;
}

}  // namespace

Command add_preprocess(CLI::App& app) {
  auto f = std::make_shared<PreprocessFlags>();
  auto* sub = app.add_subcommand("preprocess", "Run a control preprocessor on an image (canny), as --control-preprocess does");
  sub->add_option("kind", f->kind, "Preprocessor: canny")->required();
  sub->add_option("in", f->in, "Input PNG")->required();
  sub->add_option("out", f->out, "Output PNG (the edge map, white on black)")->required();
  sub->add_option("--low", f->low, "Canny's low hysteresis threshold (default 100)");
  sub->add_option("--high", f->high, "Canny's high hysteresis threshold (default 200)");
  return Command{sub, [f] { return run_preprocess(*f); }};
}

}  // namespace sdxl::cli
