// `sdxl-gen compare A.png B.png`: golden-image check for users' CI. Prints the differences and exits
// non-zero when they exceed the limits or the sizes differ.
#include <cmath>
#include <iostream>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "io/image_compare.h"
#include "io/paths.h"
#include "io/png.h"

namespace sdxl::cli {
namespace {

struct CompareFlags {
  std::string a, b, diff_image;
  int max_diff = 0;
  double min_psnr = 0;
  bool has_psnr = false, overwrite = false;
};

int run_compare(const CompareFlags& f) {
  if (f.max_diff < 0 || f.max_diff > 255) throw UsageError("--max-diff: must be in 0..255");
  if (f.has_psnr && std::isnan(f.min_psnr)) throw UsageError("--min-psnr: must be a number, got nan");
  // The one rule for every file sdxl-gen writes: an existing one is replaced only when asked.
  if (!f.diff_image.empty() && !f.overwrite && io::path_exists(f.diff_image))
    throw UsageError("--diff-image: " + f.diff_image + " exists; use --overwrite to replace it");
  io::Image a = io::read_png(f.a, nullptr), b = io::read_png(f.b, nullptr);
  io::CompareResult r = io::compare_images(a, b);
  if (!r.same_size) {
    std::cout << "size mismatch: " << f.a << " is " << a.width << "x" << a.height << ", " << f.b << " is " << b.width
              << "x" << b.height << "\n";
    return kFailed;
  }
  std::cout << "max_abs_diff " << r.max_abs_diff << "\nmean_abs_diff " << r.mean_abs_diff << "\npsnr_db "
            << (std::isinf(r.psnr_db) ? std::string("inf") : std::to_string(r.psnr_db)) << "\ndiffering_pixels "
            << r.differing_pixels << "\n";
  const auto worst = io::largest_differences(a, b, 5);
  if (!worst.empty()) {
    std::cout << "largest differences (x,y: channel diffs):";
    for (const auto& d : worst) std::cout << " " << d.x << "," << d.y << ": " << d.diff[0] << "/" << d.diff[1] << "/" << d.diff[2] << ";";
    std::cout << "\n";
  }
  if (!f.diff_image.empty()) io::write_png(f.diff_image, io::diff_image(a, b), {});
  bool ok = r.max_abs_diff <= f.max_diff && (!f.has_psnr || r.psnr_db >= f.min_psnr);
  std::cout << (ok ? "PASS" : "FAIL") << "\n";
  return ok ? kOk : kFailed;
}

}  // namespace

Command add_compare(CLI::App& app) {
  auto f = std::make_shared<CompareFlags>();
  auto* sub = app.add_subcommand("compare", "Compare two PNGs (golden-image regression checks)");
  sub->add_option("a", f->a, "First PNG")->required();
  sub->add_option("b", f->b, "Second PNG")->required();
  sub->add_option("--max-diff", f->max_diff, "Largest allowed per-channel difference (default 0)");
  auto* psnr = sub->add_option("--min-psnr", f->min_psnr, "Smallest allowed PSNR in dB");
  sub->add_option("--diff-image", f->diff_image, "Write a visual diff PNG");
  sub->add_flag("--overwrite", f->overwrite, "Replace an existing --diff-image");
  return Command{sub, [f, psnr] {
                   f->has_psnr = psnr->count() > 0;
                   return run_compare(*f);
                 }};
}

}  // namespace sdxl::cli
