// End-to-end: inpainting, outpainting and hires-fix flags of the sdxl-gen executable on the tiny model
// (exit codes from the README table, one-line messages, metadata that reproduces the image).
#include <algorithm>

#include "cli_runner.h"
#include "io/png.h"

namespace sdxl::test {
namespace {

const std::string kInit = std::string(SDXL_FIXTURES) + "/pipeline_golden/base_euler_4_cfg5.png";  // 64x96
const std::string kMask = std::string(SDXL_FIXTURES) + "/inpaint_golden/mask.png";

std::string inpaint_flags() {
  return "--model tiny --steps 2 --size 64x96 --prompt fox --seed 3 --init-image " + kInit;
}

std::string solid_png(const std::string& name, int w, int h, uint8_t v) {
  const std::string path = fresh_dir("cli_mask_" + name) + "/" + name;
  io::write_png(path, io::Image{w, h, std::vector<uint8_t>(static_cast<size_t>(w) * h * 3, v)});
  return path;
}

TEST(CliInpaint, KeepUnmaskedAndFromPngReproduce) {
  const std::string dir = fresh_dir("inpaint");
  CliResult r = run_cli(inpaint_flags() + " --quiet --mask " + kMask + " --mask-blur 2 --keep-unmasked --out " +
                        dir + "/a.png");
  ASSERT_EQ(r.code, 0) << r.err;
  CliResult again = run_cli("--model tiny --quiet --from-png " + dir + "/a.png --out " + dir + "/b.png");
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_EQ(io::read_png(dir + "/a.png").rgb, io::read_png(dir + "/b.png").rgb);
}

TEST(CliInpaint, BadMasksExitWithOneLine) {
  // The output goes to a fresh folder (never the working directory), and nothing may be written there. --quiet:
  // the notes and warnings of a normal run stay out, so stderr is the error's one line.
  const std::string dir = fresh_dir("bad_masks");
  const std::string out = " --quiet --out " + shell_quote(dir + "/x.png");
  auto expect_one_line = [&](const CliResult& r, int code, const std::string& words) {
    EXPECT_EQ(r.code, code) << r.err;
    EXPECT_NE(r.err.find(words), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "one line on stderr: " << r.err;
    EXPECT_EQ(count_files(dir, ""), 0) << "nothing written for " << r.err;
  };
  expect_one_line(run_cli(inpaint_flags() + " --mask " + solid_png("black.png", 64, 96, 0) + out), 3, "nothing to do");
  expect_one_line(run_cli(inpaint_flags() + " --mask " + solid_png("small.png", 64, 64, 255) + out), 3, "same size");
  expect_one_line(run_cli(inpaint_flags() + " --outpaint 12,0,0,0" + out), 2, "multiple of 8");
}

TEST(CliInpaint, OutpaintWritesTheExtendedCanvas) {
  const std::string dir = fresh_dir("outpaint");
  CliResult r = run_cli(inpaint_flags() + " --quiet --outpaint 8,0,8,16 --out " + dir + "/o.png");
  ASSERT_EQ(r.code, 0) << r.err;
  io::Image img = io::read_png(dir + "/o.png");
  EXPECT_EQ(img.width, 80);
  EXPECT_EQ(img.height, 112);
}

TEST(CliHires, PrintsTheRoundedSizeAndReproducesFromPng) {
  const std::string dir = fresh_dir("hires");
  CliResult r = run_cli("--model tiny --steps 2 --size 64x96 --prompt fox --seed 3 --hires-scale 1.3 "
                        "--hires-steps 3 --hires-strength 0.7 --out " + dir + "/h.png");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE((r.out + r.err).find("80x128"), std::string::npos) << r.out << r.err;
  io::PngText chunks;
  io::Image img = io::read_png(dir + "/h.png", &chunks);
  EXPECT_EQ(img.width, 80);
  EXPECT_EQ(img.height, 128);
  std::string params;
  for (const auto& [k, v] : chunks)
    if (k == "parameters") params = v;
  EXPECT_NE(params.find("Size: 64x96"), std::string::npos) << params;
  EXPECT_NE(params.find("Denoising strength: 0.7, Hires upscale: 1.3, Hires steps: 3, Hires upscaler: Latent"),
            std::string::npos)
      << params;
  CliResult again = run_cli("--model tiny --quiet --from-png " + dir + "/h.png --out " + dir + "/again.png");
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_EQ(io::read_png(dir + "/again.png").rgb, img.rgb);
}

}  // namespace
}  // namespace sdxl::test
