// `sdxl-gen verify`: golden-image regression tests on the tiny model. A golden re-runs bit for bit (exit 0);
// a golden whose pixels were changed fails with the figures in the JUnit XML (exit 1) unless the limits allow
// it; --update makes it pass again; a PNG without a recorded request cannot be re-run (exit 3, named).
#include <fstream>

#include "cli_runner.h"
#include "io/png.h"

namespace sdxl::test {
namespace {

std::string make_golden(const std::string& dir, const std::string& name, int seed) {
  const std::string path = dir + "/" + name;
  CliResult r = run_cli(tiny_flags() + " --prompt " + shell_quote("a lighthouse") + " --seed " + std::to_string(seed) +
                        " --out " + path);
  EXPECT_EQ(r.code, 0) << r.err;
  return path;
}

// The golden with one pixel channel moved by `by`, its metadata kept (as if the engine had changed).
void nudge_pixel(const std::string& path, int by) {
  io::PngText chunks;
  io::Image img = io::read_png(path, &chunks);
  img.rgb[100] = static_cast<uint8_t>((img.rgb[100] + by) % 256);
  io::write_png(path, img, chunks);
}

TEST(CliVerify, GoldensPassBitForBitAndReportsAreWritten) {
  const std::string dir = fresh_dir("verify_pass");
  make_golden(dir + "/goldens", "a.png", 1);
  make_golden(dir + "/goldens", "b.png", 2);
  CliResult r = run_cli("verify " + dir + "/goldens --out-dir " + dir + "/out --junit " + dir + "/junit.xml --report " +
                        dir + "/report.html");
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("2 passed, 0 failed"), std::string::npos) << r.out;
  EXPECT_TRUE(file_exists(dir + "/out/a.new.png"));
  EXPECT_TRUE(file_exists(dir + "/out/b.diff.png"));
  EXPECT_EQ(io::read_png(dir + "/out/a.new.png").rgb, io::read_png(dir + "/goldens/a.png").rgb);
  const std::string xml = slurp(dir + "/junit.xml");
  EXPECT_NE(xml.find("tests=\"2\" failures=\"0\" errors=\"0\""), std::string::npos) << xml;
  EXPECT_NE(xml.find("<testcase classname=\"sdxl-gen.verify\" name=\"" + dir + "/goldens/a.png\""), std::string::npos) << xml;
  const std::string html = slurp(dir + "/report.html");
  size_t images = 0;
  for (size_t at = html.find("data:image/png;base64,"); at != std::string::npos; at = html.find("data:image/png;base64,", at + 1))
    ++images;
  EXPECT_EQ(images, 6u) << "golden, new and diff for each case";
}

TEST(CliVerify, ChangedGoldenFailsWithFiguresUnlessAllowedAndUpdateFixesIt) {
  const std::string dir = fresh_dir("verify_fail");
  const std::string golden = make_golden(dir, "g.png", 3);
  nudge_pixel(golden, 3);
  CliResult r = run_cli("verify " + golden + " --out-dir " + dir + "/out --junit " + dir + "/junit.xml --json");
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  const auto line = nlohmann::json::parse(r.out.substr(0, r.out.find('\n')));
  EXPECT_EQ(line["state"], "fail");
  EXPECT_EQ(line["max_diff"], 3);
  EXPECT_EQ(line["differing_pixels"], 1);
  const std::string xml = slurp(dir + "/junit.xml");
  EXPECT_NE(xml.find("<failure type=\"ImageDiffers\" message=\"differs: max diff 3 (allowed 0)"), std::string::npos) << xml;
  EXPECT_NE(xml.find("1 differing pixels"), std::string::npos) << xml;
  // Within the limits it passes.
  EXPECT_EQ(run_cli("verify " + golden + " --out-dir " + dir + "/out --max-diff 3 --min-psnr 40").code, 0);
  // --update writes the new image over the golden; then it passes bit for bit.
  CliResult upd = run_cli("verify " + golden + " --out-dir " + dir + "/out --update");
  EXPECT_EQ(upd.code, 1) << upd.out;
  EXPECT_NE(upd.out.find("(golden updated)"), std::string::npos) << upd.out;
  EXPECT_EQ(run_cli("verify " + golden + " --out-dir " + dir + "/out").code, 0);
}

TEST(CliVerify, GoldenThatCannotBeRerunIsNamedExit3) {
  const std::string dir = fresh_dir("verify_error");
  const std::string golden = make_golden(dir, "g.png", 4);
  const std::string bare = dir + "/bare.png";
  io::write_png(bare, io::read_png(golden), {});  // pixels only, no recorded request
  CliResult r = run_cli("verify " + golden + " " + bare + " --out-dir " + dir + "/out --junit " + dir + "/junit.xml");
  EXPECT_EQ(r.code, 3) << r.out << r.err;
  EXPECT_NE(r.out.find("ERROR " + bare + ": cannot be re-run"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("PASS  " + golden), std::string::npos) << r.out;
  EXPECT_NE(slurp(dir + "/junit.xml").find("<error type=\"CannotRerun\""), std::string::npos);
}

}  // namespace
}  // namespace sdxl::test
