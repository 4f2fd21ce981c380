// check-weights on files named like the official SDXL downloads: their size and sha256 are compared with the
// published values (data/official-weights.tsv). A 7 GB official file cannot be a fixture, so these tests show
// the failures (a short file is "truncated", a same-named other file is refused) and that other names are
// left alone; the values themselves are checked against their sources in weights/README.md.
#include <gtest/gtest.h>

#include "cli/cli_runner.h"

namespace sdxl::test {
namespace {

TEST(CliOfficialWeights, ShortFileUnderTheBaseNameIsTruncated) {
  const std::string dir = fresh_dir("official_base");
  const std::string path = dir + "/sd_xl_base_1.0.safetensors";
  ASSERT_EQ(std::system(("cp " + shell_quote(fixture("tiny_sdxl_base.safetensors")) + " " + shell_quote(path)).c_str()), 0);
  const std::string config = " --config " + fixture("tiny-sdxl");
  CliResult r = run_cli("check-weights " + path + config);
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("problem: truncated"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("6938078334 bytes"), std::string::npos) << r.out;  // the published size, named
  // --no-sha256: only the header check, which the tiny checkpoint passes.
  CliResult skipped = run_cli("check-weights --no-sha256 " + path + config);
  EXPECT_EQ(skipped.code, 0) << skipped.out << skipped.err;
  EXPECT_EQ(skipped.out.find("sha256"), std::string::npos) << skipped.out;
}

TEST(CliOfficialWeights, OtherNamesAreNotHashed) {
  CliResult r = run_cli("check-weights " + fixture("tiny_sdxl_base.safetensors") + " --config " + fixture("tiny-sdxl"));
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(r.out.find("sha256"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace sdxl::test
