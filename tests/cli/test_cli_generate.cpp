// End-to-end: the sdxl-gen executable on the tiny model — single images, metadata round trip, batches,
// resume and shards.
#include "cli_runner.h"
#include "io/png.h"
#include "pipeline/png_metadata.h"

namespace sdxl::test {
namespace {

TEST(CliGenerate, SingleImageWithMetadata) {
  const std::string dir = fresh_dir("single");
  CliResult r = run_cli(tiny_flags() + " --prompt " + shell_quote("a red fox, snow") +
                        " --negative-prompt blurry --seed 5 --cfg 4.5 --out " + dir + "/fox.png");
  ASSERT_EQ(r.code, 0) << r.err;
  io::PngText chunks;
  io::Image img = io::read_png(dir + "/fox.png", &chunks);
  EXPECT_EQ(img.width, 64);
  EXPECT_EQ(img.height, 64);
  GenerationRequest back = request_from_png_chunks(chunks, "fox.png");
  EXPECT_EQ(back.text.prompt, "a red fox, snow");
  EXPECT_EQ(back.text.negative_prompt.value_or(""), "blurry");
  EXPECT_EQ(back.sampling.seed.value_or(0), 5u);
  EXPECT_DOUBLE_EQ(back.sampling.cfg, 4.5);
  EXPECT_EQ(back.sampling.steps, 2);
  // The web-UI text alone parses back to the same essentials.
  std::string params;
  for (const auto& [k, v] : chunks)
    if (k == "parameters") params = v;
  GenerationRequest webui = parse_a1111_parameters(params, GenerationRequest{});
  EXPECT_EQ(webui.text.prompt, "a red fox, snow");
  EXPECT_EQ(webui.sampling.seed.value_or(0), 5u);
  EXPECT_EQ(webui.sampling.size.width, 64);
  EXPECT_EQ(webui.sampling.sampler, SamplerKind::Euler);

  // --from-png reproduces the image bit for bit.
  CliResult again = run_cli("--model tiny --quiet --from-png " + dir + "/fox.png --out " + dir + "/again.png");
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_EQ(io::read_png(dir + "/again.png").rgb, img.rgb);
  // Nothing but the two PNGs (no temp files left behind).
  EXPECT_EQ(count_files(dir, ""), 2);
}

TEST(CliGenerate, TextBatchWritesOneImagePerLine) {
  const std::string dir = fresh_dir("txt");
  std::ofstream(dir + "/p.txt") << "# comment\nfirst prompt\n\nsecond prompt\nthird prompt\n";
  CliResult r = run_cli(tiny_flags() + " --seed 1 --prompt-file " + dir + "/p.txt --out-dir " + dir + "/out --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(count_files(dir + "/out"), 3);
  EXPECT_TRUE(file_exists(dir + "/out/00000-1-first_prompt.png")) << r.out;
  EXPECT_TRUE(file_exists(dir + "/out/00002-1-third_prompt.png")) << r.out;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 3) << "one JSON line per image";
}

TEST(CliGenerate, JsonlBatchReportsBadLineAndWritesTheRest) {
  const std::string dir = fresh_dir("jsonl");
  std::ofstream(dir + "/p.jsonl") << R"({"prompt": "one", "seed": 1})" << "\n"
                                  << R"({"prompt": "two", "size": "1023x768"})" << "\n"
                                  << R"({"prompt": "three", "sampler": "heun"})" << "\n"
                                  << R"({not json)" << "\n"
                                  << R"({"prompt": "five", "seed": 3, "steps": 1, "sampler": "ddim"})" << "\n";
  CliResult r = run_cli(tiny_flags() + " --prompt-file " + dir + "/p.jsonl --out-dir " + dir);
  EXPECT_EQ(r.code, 4) << r.err;
  EXPECT_NE(r.err.find(":2:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(":3:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(":4:"), std::string::npos) << r.err;
  EXPECT_EQ(count_files(dir), 2);
}

TEST(CliGenerate, ResumeSkipsFinishedItems) {
  const std::string dir = fresh_dir("resume");
  std::ofstream(dir + "/p.txt") << "a\nb\nc\n";
  const std::string args = tiny_flags() + " --seed 9 --prompt-file " + dir + "/p.txt --out-dir " + dir + "/out";
  // A run killed after its first image: the forced failure hook (test build) stops item 1 mid-way.
  CliResult first = run_cli(args, "SDXL_GEN_FAIL_ITEM=1", test_cli_path());
  EXPECT_EQ(first.code, 4) << first.err;
  EXPECT_EQ(count_files(dir + "/out"), 2);
  const std::string a = slurp(dir + "/out/00000-9-a.png");
  CliResult resumed = run_cli(args + " --resume");
  ASSERT_EQ(resumed.code, 0) << resumed.err;
  EXPECT_EQ(count_files(dir + "/out"), 3);
  EXPECT_EQ(slurp(dir + "/out/00000-9-a.png"), a);
  // Without --resume or --overwrite nothing is replaced, and nothing is generated (exit 2 up front).
  CliResult again = run_cli(args);
  EXPECT_EQ(again.code, 2);
  EXPECT_NE(again.err.find("exists"), std::string::npos) << again.err;
}

TEST(CliGenerate, TwoShardsMakeTheUnshardedSet) {
  const std::string dir = fresh_dir("shard");
  std::ofstream(dir + "/p.txt") << "p0\np1\np2\np3\np4\n";
  const std::string args = tiny_flags() + " --seed 2 --prompt-file " + dir + "/p.txt --out-dir ";
  ASSERT_EQ(run_cli(args + dir + "/all").code, 0);
  ASSERT_EQ(run_cli(args + dir + "/sharded --shard 0/2").code, 0);
  ASSERT_EQ(run_cli(args + dir + "/sharded --shard 1/2").code, 0);
  EXPECT_EQ(count_files(dir + "/all"), 5);
  EXPECT_EQ(count_files(dir + "/sharded"), 5);
  for (int i = 0; i < 5; ++i) {
    char name[64];
    std::snprintf(name, sizeof name, "/%05d-2-p%d.png", i, i);
    EXPECT_EQ(slurp(dir + "/all" + name), slurp(dir + "/sharded" + name)) << name;
  }
}

TEST(CliGenerate, BatchImageEqualsSingleRunWithNextSeed) {
  const std::string dir = fresh_dir("batch_seed");
  ASSERT_EQ(run_cli(tiny_flags() + " --prompt x --seed 20 --num-images 3 --metadata none --out " + dir + "/b.png").code, 0);
  ASSERT_EQ(run_cli(tiny_flags() + " --prompt x --seed 22 --metadata none --out " + dir + "/s.png").code, 0);
  io::Image batch2 = io::read_png(dir + "/b_2.png"), single = io::read_png(dir + "/s.png");
  ASSERT_EQ(batch2.rgb.size(), single.rgb.size());
  EXPECT_EQ(batch2.rgb, single.rgb);
}

}  // namespace
}  // namespace sdxl::test
