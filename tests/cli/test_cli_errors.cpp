// Bad input never crashes or hangs: one line on stderr naming the problem, the documented exit code,
// and no partial output.
#include "cli_runner.h"
#include "io/png.h"

namespace sdxl::test {
namespace {

struct BadCase {
  const char* name;
  std::string args;
  int code;
  const char* mentions;
};

TEST(CliErrors, BadInputsGiveOneLineAndExitCode) {
  const std::string dir = fresh_dir("errors");
  const std::string out = " --out " + dir + "/x.png";
  const std::vector<BadCase> cases = {
      {"missing model", "--model /nonexistent/model.safetensors --prompt x" + out, 3, "/nonexistent/model.safetensors"},
      {"directory as model file", "--model " + dir + " --prompt x" + out, 3, dir.c_str()},
      {"size 0x0", tiny_base() + " --prompt x --size 0x0" + out, 2, "0x0"},
      {"size abc", tiny_base() + " --prompt x --size abc" + out, 2, "abc"},
      {"size too large", tiny_base() + " --prompt x --size 100000x100000" + out, 2, "100000"},
      {"size not multiple of 8", tiny_base() + " --prompt x --size 1023x768" + out, 2, "1023"},
      {"negative steps", tiny_flags() + " --prompt x --steps -3" + out, 2, "steps"},
      {"cfg NaN", tiny_flags() + " --prompt x --cfg nan" + out, 2, "cfg"},
      {"unknown sampler", tiny_flags() + " --prompt x --sampler heun" + out, 2, "heun"},
      {"unwritable output dir", tiny_flags() + " --prompt x --out /proc/nope/x.png", 2, "/proc/nope"},
      {"pickle checkpoint", "--model " + dir + "/model.ckpt --prompt x" + out, 3, "pickle"},
  };
  std::ofstream(dir + "/model.ckpt") << "\x80\x02pickle";
  for (const auto& c : cases) {
    CliResult r = run_cli(c.args);
    EXPECT_EQ(r.code, c.code) << c.name << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << c.name << ": " << r.err;
    EXPECT_NE(r.err.find(c.mentions), std::string::npos) << c.name << ": " << r.err;
    EXPECT_FALSE(file_exists(dir + "/x.png")) << c.name;
  }
}

TEST(CliCompare, PassesOnIdenticalAndFailsBeyondThreshold) {
  const std::string dir = fresh_dir("compare");
  ASSERT_EQ(run_cli(tiny_flags() + " --prompt x --seed 1 --out " + dir + "/a.png").code, 0);
  EXPECT_EQ(run_cli("compare " + dir + "/a.png " + dir + "/a.png").code, 0);
  // One channel of one pixel changed by one level.
  io::Image img = io::read_png(dir + "/a.png");
  img.rgb[100] = static_cast<uint8_t>(img.rgb[100] == 255 ? 254 : img.rgb[100] + 1);
  io::write_png(dir + "/b.png", img);
  CliResult strict = run_cli("compare " + dir + "/a.png " + dir + "/b.png --diff-image " + dir + "/d.png");
  EXPECT_EQ(strict.code, 1) << strict.out;
  EXPECT_NE(strict.out.find("max_abs_diff 1"), std::string::npos) << strict.out;
  EXPECT_NE(strict.out.find("differing_pixels 1"), std::string::npos) << strict.out;
  EXPECT_TRUE(file_exists(dir + "/d.png"));
  EXPECT_EQ(run_cli("compare " + dir + "/a.png " + dir + "/b.png --max-diff 1").code, 0);
}

TEST(CliTokenize, JsonMatchesTokenizerGolden) {
  CliResult r = run_cli("tokenize --prompt " + shell_quote("a photograph of an astronaut riding a horse") + " --json");
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["input_ids"].size(), 2u);
  EXPECT_EQ(j["input_ids"][0].size(), 77u);
  EXPECT_EQ(j["input_ids"][0][0], 49406);
  EXPECT_EQ(j["length"], 10);  // 8 words + start + end
  EXPECT_EQ(j["input_ids"][0][9], 49407);
  EXPECT_EQ(j["input_ids"][0][10], 49407);  // encoder 1 pads with <|endoftext|>
  EXPECT_EQ(j["input_ids"][1][9], 49407);
  EXPECT_EQ(j["input_ids"][1][10], 0);      // encoder 2 pads with "!"
  EXPECT_EQ(j["dropped"], "");
}

TEST(CliCheckWeights, PresetCountsAndTinyCheckpoint) {
  CliResult r = run_cli("check-weights --preset sdxl-base");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("2567463684"), std::string::npos) << r.out;
  CliResult tiny = run_cli("check-weights " + fixture("tiny_sdxl_base.safetensors") + " --config " + fixture("tiny-sdxl"));
  EXPECT_EQ(tiny.code, 0) << tiny.out << tiny.err;
}

}  // namespace
}  // namespace sdxl::test
