// `sdxl-gen encode` writes exactly the embeddings of the text goldens (README-text.md, encode_prompt cases),
// from both weight layouts.
#include "cli_runner.h"

namespace sdxl::test {
namespace {

void expect_case(const std::string& model_args, const std::string& extra, const std::string& golden_case) {
  const std::string out = fresh_dir("encode") + "/cond.safetensors";
  CliResult r = run_cli("encode " + model_args + " --prompt " +
                        shell_quote("a photograph of an astronaut riding a horse") + extra + " --out " + out);
  ASSERT_EQ(r.code, 0) << r.err;
  auto got = load_golden_abs(out);
  auto golden = load_golden("text_golden.safetensors");
  const std::string prefix = "case." + golden_case + ".";
  for (const char* name : {"context", "pooled", "negative_context", "negative_pooled"})
    EXPECT_TRUE(AllClose(golden_case + " " + name, got.at(name), golden.at(prefix + name), 1e-4));
}

TEST(CliEncode, BaseZeroNegativeFromDiffusersFolder) {
  expect_case("--model tiny", "", "base_zero_negative");
}

TEST(CliEncode, BaseZeroNegativeFromSingleFile) {
  expect_case("--model " + fixture("tiny_sdxl_base.safetensors") + " --config " + fixture("tiny-sdxl"), "",
              "base_zero_negative");
}

TEST(CliEncode, RefinerEncodesEmptyNegative) {
  expect_case("--model tiny --refiner", "", "refiner_default");
}

}  // namespace
}  // namespace sdxl::test
