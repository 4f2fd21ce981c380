// Regression tests for the problems a new user ran into (issue 12), each through the executable: output
// folders and names, resume after fixing a line, batch images vs single runs, --from-png provenance,
// early and categorised errors, Ctrl-C, --version, silent no-ops and the smaller messages.
#include "cli_runner.h"
#include "io/png.h"
#include "pipeline/png_metadata.h"

namespace sdxl::test {
namespace {

int pixel_max_diff(const io::Image& a, const io::Image& b) {
  EXPECT_EQ(a.rgb.size(), b.rgb.size());
  int m = 0;
  for (size_t i = 0; i < std::min(a.rgb.size(), b.rgb.size()); ++i) m = std::max(m, std::abs(a.rgb[i] - b.rgb[i]));
  return m;
}

std::string text_chunk(const std::string& png, const std::string& key) {
  io::PngText chunks;
  io::read_png(png, &chunks);
  for (const auto& [k, v] : chunks)
    if (k == key) return v;
  return "";
}

// Bug 1: --out-dir with missing parents is created like mkdir -p; a real failure says why.
TEST(CliNewUser, NestedOutDirIsCreatedWithParents) {
  const std::string dir = fresh_dir("nested");
  CliResult r = run_cli(tiny_flags() + " --prompt x --seed 1 --out-dir " + dir + "/a/b/c");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(count_files(dir + "/a/b/c"), 1);
  std::ofstream(dir + "/file") << "x";
  CliResult bad = run_cli(tiny_flags() + " --prompt x --seed 1 --out-dir " + dir + "/file/sub");
  EXPECT_EQ(bad.code, 2) << bad.err;
  EXPECT_NE(bad.err.find("--out-dir: " + dir + "/file is not a folder"), std::string::npos) << bad.err;
  CliResult denied = run_cli(tiny_flags() + " --prompt x --out-dir /proc/nope/deeper");
  EXPECT_EQ(denied.code, 2) << denied.err;
  EXPECT_NE(denied.err.find("cannot create folder /proc/nope: "), std::string::npos) << denied.err;
}

// Bug 2: names that collide within one run are refused before anything is generated.
TEST(CliNewUser, CollidingNamesAreRefusedUpFront) {
  const std::string dir = fresh_dir("collide");
  CliResult r = run_cli(tiny_flags() + " --prompt x --seed 1 --num-images 2 --name fixed.png --out-dir " + dir);
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("--name: 'fixed.png' gives item 0 image 0 and item 0 image 1 the same file"), std::string::npos)
      << r.err;
  EXPECT_EQ(count_files(dir, ""), 0);
  // Across the items of a prompt file too.
  std::ofstream(dir + "/p.txt") << "a\nb\n";
  CliResult file = run_cli(tiny_flags() + " --seed 1 --prompt-file " + dir + "/p.txt --name '{seed}.png' --out-dir " + dir + "/o");
  EXPECT_EQ(file.code, 2) << file.err;
  EXPECT_NE(file.err.find("item 0 (line 1) image 0 and item 1 (line 2) image 0"), std::string::npos) << file.err;
  // {image} makes them distinct.
  EXPECT_EQ(run_cli(tiny_flags() + " --prompt x --seed 1 --num-images 2 --name 'fixed-{image}.png' --out-dir " + dir).code, 0);
  EXPECT_TRUE(file_exists(dir + "/fixed-1.png"));
}

// Bug 3: an item's index counts bad lines, so fixing one and resuming redoes only that item.
TEST(CliNewUser, ResumeAfterFixingABadLineRedoesOnlyThatItem) {
  const std::string dir = fresh_dir("fixline");
  auto write = [&](const char* middle) {
    std::ofstream(dir + "/p.jsonl") << R"({"prompt": "one", "seed": 1})" << "\n"
                                    << middle << "\n"
                                    << R"({"prompt": "three", "seed": 3})" << "\n";
  };
  write(R"({"prompt": "two", "seed": 2, "sampler": "heun"})");
  const std::string args = tiny_flags() + " --prompt-file " + dir + "/p.jsonl --out-dir " + dir + "/out";
  CliResult first = run_cli(args);
  EXPECT_EQ(first.code, 4) << first.err;
  EXPECT_TRUE(file_exists(dir + "/out/00000-1-one.png"));
  EXPECT_TRUE(file_exists(dir + "/out/00002-3-three.png")) << first.err;
  const std::string three = slurp(dir + "/out/00002-3-three.png");
  write(R"({"prompt": "two", "seed": 2})");
  CliResult resumed = run_cli(args + " --resume --json");
  ASSERT_EQ(resumed.code, 0) << resumed.err;
  EXPECT_EQ(count_files(dir + "/out"), 3);
  EXPECT_TRUE(file_exists(dir + "/out/00001-2-two.png"));
  EXPECT_EQ(std::count(resumed.out.begin(), resumed.out.end(), '\n'), 1) << "only the fixed item runs";
  EXPECT_EQ(slurp(dir + "/out/00002-3-three.png"), three);
}

// Bug 4: image i of a batch is the single run with seed + i, bit for bit, also with --low-memory, and
// --from-png of a batch image reproduces it.
TEST(CliNewUser, BatchImagesEqualSingleRunsExactly) {
  const std::string dir = fresh_dir("batch_exact");
  const std::string common = tiny_flags() + " --prompt x --sampler euler_a --metadata none";
  ASSERT_EQ(run_cli(common + " --seed 20 --num-images 3 --out " + dir + "/b.png").code, 0);
  ASSERT_EQ(run_cli(common + " --seed 20 --num-images 3 --low-memory --out " + dir + "/l.png").code, 0);
  ASSERT_EQ(run_cli(common + " --seed 22 --out " + dir + "/s.png").code, 0);
  const io::Image single = io::read_png(dir + "/s.png");
  EXPECT_EQ(pixel_max_diff(io::read_png(dir + "/b_2.png"), single), 0);
  EXPECT_EQ(pixel_max_diff(io::read_png(dir + "/l_2.png"), single), 0);
  ASSERT_EQ(run_cli(tiny_flags() + " --prompt x --seed 20 --num-images 2 --out " + dir + "/m.png").code, 0);
  CliResult again = run_cli("--quiet --from-png " + dir + "/m_1.png --out " + dir + "/again.png");
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_EQ(pixel_max_diff(io::read_png(dir + "/m_1.png"), io::read_png(dir + "/again.png")), 0);
}

// Bug 5: --from-png restores the model and the refiner it recorded; a missing one is named; an
// override is said.
TEST(CliNewUser, FromPngRestoresModelAndRefiner) {
  const std::string dir = fresh_dir("provenance");
  ASSERT_EQ(run_cli(tiny_flags() + " --prompt fox --seed 3 --refiner " + fixture("tiny-sdxl-refiner") +
                    " --refiner-mode expert --out " + dir + "/r.png").code, 0);
  const std::string json = text_chunk(dir + "/r.png", "sdxl-gen");
  EXPECT_NE(json.find("\"model_hash\":\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"refiner_hash\":\""), std::string::npos) << json;
  CliResult again = run_cli("--quiet --from-png " + dir + "/r.png --out " + dir + "/again.png");
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_EQ(pixel_max_diff(io::read_png(dir + "/r.png"), io::read_png(dir + "/again.png")), 0);
  CliResult info = run_cli("info " + dir + "/r.png");
  EXPECT_NE(info.out.find("Refiner: tiny-sdxl-refiner"), std::string::npos) << info.out;
  CliResult info_json = run_cli("info --json " + dir + "/r.png");
  EXPECT_NE(info_json.out.find("\"model\": \"tiny\""), std::string::npos) << info_json.out;

  // A recorded model that is gone: one line naming it, input exit code.
  const std::string link = dir + "/model.safetensors";
  ASSERT_EQ(std::system(("ln -s " + fixture("tiny_sdxl_base.safetensors") + " " + link).c_str()), 0);
  ASSERT_EQ(run_cli("--model " + link + " --config " + fixture("tiny-sdxl") +
                    " --steps 1 --size 64x64 --quiet --prompt x --seed 1 --out " + dir + "/m.png").code, 0);
  std::remove(link.c_str());
  CliResult gone = run_cli("--quiet --from-png " + dir + "/m.png --config " + fixture("tiny-sdxl") + " --out " + dir + "/g.png");
  EXPECT_EQ(gone.code, 3) << gone.err;
  EXPECT_NE(gone.err.find("--model: the PNG records " + link + ", which is not there"), std::string::npos) << gone.err;
  CliResult overridden = run_cli("--model tiny --from-png " + dir + "/m.png --out " + dir + "/o.png");
  EXPECT_EQ(overridden.code, 0) << overridden.err;
  EXPECT_NE(overridden.err.find("--model tiny overrides the recorded " + link), std::string::npos) << overridden.err;
}

// Bug 6: every row of README's exit-code table, each error before any model loads.
TEST(CliNewUser, ExitCodeTableRowByRow) {
  const std::string dir = fresh_dir("exit_codes");
  std::ofstream(dir + "/not.png") << "not a png";
  std::ofstream(dir + "/empty.txt") << "# only a comment\n\n";
  std::ofstream(dir + "/bad.jsonl") << R"({"prompt": "ok", "seed": 1})" << "\n" << R"({"prompt": 3})" << "\n";
  ASSERT_EQ(run_cli(tiny_flags() + " --prompt x --seed 1 --out " + dir + "/exists.png").code, 0);
  ASSERT_EQ(run_cli(tiny_flags() + " --prompt x --seed 1 --out-dir " + dir + "/batch").code, 0);
  struct Row {
    const char* name;
    std::string args;
    int code;
    std::string mentions;
  };
  const std::string out = " --out " + dir + "/new.png";
  const std::vector<Row> rows = {
      {"success", tiny_flags() + " --prompt x --seed 1 --out " + dir + "/ok.png", 0, ""},
      {"fp8 dtype", tiny_flags() + " --prompt x --dtype fp8" + out, 2, "--dtype: unknown dtype 'fp8'"},
      {"ddim with karras", tiny_flags() + " --prompt x --sampler ddim --karras" + out, 2, "--karras: is not available"},
      {"existing --out", tiny_flags() + " --prompt x --seed 1 --out " + dir + "/exists.png", 2, "exists.png exists"},
      {"existing batch output", tiny_flags() + " --prompt x --seed 1 --out-dir " + dir + "/batch", 2, "exists"},
      {"output folder not creatable", tiny_flags() + " --prompt x --out /proc/nope/x.png", 2, "/proc/nope"},
      {"init image size mismatch", tiny_base() + " --prompt x --init-image " + dir + "/ok.png --size 128x128" + out, 2,
       "--size: 128x128 differs from the init image"},
      {"missing init image", tiny_flags() + " --prompt x --init-image " + dir + "/nope.png" + out, 3,
       "--init-image: " + dir + "/nope.png: no such file"},
      {"invalid init image", tiny_flags() + " --prompt x --init-image " + dir + "/not.png" + out, 3, "--init-image: "},
      {"missing model", "--model " + dir + "/none.safetensors --prompt x" + out, 3, "none.safetensors"},
      {"empty prompt file", tiny_flags() + " --prompt-file " + dir + "/empty.txt --out-dir " + dir + "/e", 3,
       "--prompt-file: " + dir + "/empty.txt has no prompts"},
      {"batch with a bad line", tiny_flags() + " --prompt-file " + dir + "/bad.jsonl --out-dir " + dir + "/partial", 4,
       "bad.jsonl:2: prompt: "},
  };
  for (const auto& row : rows) {
    CliResult r = run_cli(row.args);
    EXPECT_EQ(r.code, row.code) << row.name << ": " << r.err;
    if (!row.mentions.empty()) EXPECT_NE(r.err.find(row.mentions), std::string::npos) << row.name << ": " << r.err;
    if (row.code == 2 || row.code == 3) {
      EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << row.name << ": " << r.err;
      EXPECT_FALSE(file_exists(dir + "/new.png")) << row.name;
    }
  }
  // 1: generation failed (injected into the test build), and `compare` on differing images.
  CliResult failed = run_cli(tiny_flags() + " --prompt x --seed 1" + out, "SDXL_GEN_FAIL_ITEM=0", test_cli_path());
  EXPECT_EQ(failed.code, 1) << failed.err;
  EXPECT_FALSE(file_exists(dir + "/new.png"));
  ASSERT_EQ(run_cli(tiny_flags() + " --prompt x --seed 2 --out " + dir + "/other.png").code, 0);
  EXPECT_EQ(run_cli("compare " + dir + "/ok.png " + dir + "/other.png").code, 1);
  // 130 is tested by CliInterrupt.SigintKeepsFinishedImagesAndResumeCompletes.
}

// Bug 7: a missing init image is reported as such even when other values are wrong too, and without
// --size the init image's size is used.
TEST(CliNewUser, InitImageIsCheckedFirstAndGivesTheSize) {
  const std::string dir = fresh_dir("init_first");
  CliResult r = run_cli(tiny_flags() + " --prompt x --init-image " + dir + "/nope.png --strength 0.01 --out " + dir + "/o.png");
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_NE(r.err.find("no such file"), std::string::npos) << r.err;
  ASSERT_EQ(run_cli(tiny_base() + " --size 64x128 --prompt x --seed 1 --out " + dir + "/init.png").code, 0);
  CliResult img2img = run_cli(tiny_base() + " --prompt y --seed 1 --strength 0.5 --init-image " + dir +
                              "/init.png --out " + dir + "/o.png");
  ASSERT_EQ(img2img.code, 0) << img2img.err;
  const io::Image o = io::read_png(dir + "/o.png");
  EXPECT_EQ(o.width, 64);
  EXPECT_EQ(o.height, 128);
  CliResult too_weak = run_cli(tiny_base() + " --prompt x --init-image " + dir + "/init.png --size 64x128 --strength 0.1 --out " + dir + "/w.png");
  EXPECT_EQ(too_weak.code, 2) << too_weak.err;
  EXPECT_NE(too_weak.err.find("--strength: "), std::string::npos) << too_weak.err;
}

// Bug 8: a folder as --out is refused up front, with or without --overwrite.
TEST(CliNewUser, FolderAsOutIsRefused) {
  const std::string dir = fresh_dir("out_folder");
  for (const std::string extra : {"", " --overwrite"}) {
    CliResult r = run_cli(tiny_flags() + " --prompt x --out " + dir + extra);
    EXPECT_EQ(r.code, 2) << r.err;
    EXPECT_NE(r.err.find("--out: " + dir + " is a folder"), std::string::npos) << r.err;
  }
}

// Bug 10: --version names the version, commit, libtorch and what it can use; PNGs record the version.
TEST(CliNewUser, VersionReportAndMetadata) {
  CliResult r = run_cli("--version");
  ASSERT_EQ(r.code, 0) << r.err;
  for (const char* part : {"sdxl-gen 0.1.0", "commit: ", "libtorch: 2.11", "CUDA: ", "cuDNN: ", "CPU kernels: ", "CPU features: "})
    EXPECT_NE(r.out.find(part), std::string::npos) << part << " in " << r.out;
  const std::string dir = fresh_dir("version");
  ASSERT_EQ(run_cli(tiny_flags() + " --prompt x --seed 1 --out " + dir + "/v.png").code, 0);
  EXPECT_NE(text_chunk(dir + "/v.png", "parameters").find("Version: sdxl-gen 0.1.0 ("), std::string::npos);
  EXPECT_NE(text_chunk(dir + "/v.png", "sdxl-gen").find("\"version\":\"sdxl-gen 0.1.0 ("), std::string::npos);
}

// Bug 11: no silent no-ops.
TEST(CliNewUser, NoSilentNoOps) {
  const std::string dir = fresh_dir("noops");
  std::ofstream(dir + "/p.txt") << "a\n";
  CliResult both = run_cli(tiny_flags() + " --prompt x --prompt-file " + dir + "/p.txt --out-dir " + dir);
  EXPECT_EQ(both.code, 2) << both.err;
  EXPECT_NE(both.err.find("--prompt and --prompt-file"), std::string::npos) << both.err;
  CliResult txt = run_cli(tiny_flags() + " --prompt x --out " + dir + "/a.txt");
  EXPECT_EQ(txt.code, 2) << txt.err;
  EXPECT_NE(txt.err.find("--out: " + dir + "/a.txt: the output is a PNG"), std::string::npos) << txt.err;
  // In a .jsonl file the flags are the defaults of every line: documented, and it works.
  std::ofstream(dir + "/p.jsonl") << R"({"seed": 4})" << "\n";
  CliResult jsonl = run_cli(tiny_flags() + " --prompt dflt --prompt-file " + dir + "/p.jsonl --out-dir " + dir + "/j");
  EXPECT_EQ(jsonl.code, 0) << jsonl.err;
  EXPECT_TRUE(file_exists(dir + "/j/00000-4-dflt.png"));
  EXPECT_NE(run_cli("--help").out.find(".jsonl (one request per line; the flags are its defaults)"), std::string::npos);
}

// Bug 13: help types and defaults, one message style, warnings once and before work, per-image progress,
// Unicode names, the chosen bucket, --json per image, info --json's model, compare's worst pixels.
TEST(CliNewUser, SmallerMessages) {
  const std::string help = run_cli("--help").out;
  EXPECT_NE(help.find("--steps INT"), std::string::npos) << help;
  EXPECT_NE(help.find("--cfg FLOAT"), std::string::npos);
  EXPECT_NE(help.find("--size WxH"), std::string::npos);
  EXPECT_NE(help.find("--name TEXT={index:05d}-{seed}-{prompt:.40}.png"), std::string::npos) << "--name shows its default";
  const std::string dir = fresh_dir("smaller");
  for (const auto& [args, prefix] : std::vector<std::pair<std::string, std::string>>{
           {" --size 1x", "--size: "}, {" --seed -1", "--seed: "}, {" --num-images 0", "--num-images: "}}) {
    CliResult r = run_cli(tiny_flags() + " --prompt x" + args + " --out " + dir + "/x.png");
    EXPECT_EQ(r.code, 2);
    EXPECT_EQ(r.err.rfind("sdxl-gen: " + prefix, 0), 0u) << r.err;
  }
  std::ofstream(dir + "/p.txt") << "café été\nzweite\n";
  CliResult batch = run_cli("--model tiny --steps 1 --size 64x64 --seed 7 --num-images 2 --prompt-file " + dir +
                            "/p.txt --out-dir " + dir + "/o --json");
  ASSERT_EQ(batch.code, 0) << batch.err;
  const std::string warning = "warning: size 64x64 is below";
  EXPECT_EQ(batch.err.find(warning), batch.err.rfind(warning)) << "once: " << batch.err;
  EXPECT_LT(batch.err.find(warning), batch.err.find("wrote ")) << "before the work: " << batch.err;
  EXPECT_NE(batch.err.find("image 2/2"), std::string::npos) << batch.err;
  EXPECT_TRUE(file_exists(dir + "/o/00000-7-café_été.png")) << batch.out;
  std::vector<nlohmann::json> lines;
  std::istringstream out(batch.out);
  for (std::string l; std::getline(out, l);) lines.push_back(nlohmann::json::parse(l));
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[3]["index"], 1);
  EXPECT_EQ(lines[3]["image"], 1);
  EXPECT_EQ(lines[3]["seed"], 8);
  EXPECT_EQ(lines[3]["parameters"]["seed"], 8);
  CliResult bucket = run_cli("--model tiny --steps 1 --size 1000x800 --bucket --prompt x --seed 1 --out " + dir + "/b.png");
  ASSERT_EQ(bucket.code, 0) << bucket.err;
  EXPECT_NE(bucket.err.find("note: bucket: 1000x800 -> 1152x896"), std::string::npos) << bucket.err;
  // compare names the pixels that differ most.
  io::Image a = io::read_png(dir + "/b.png");
  a.rgb[3 * (5 * a.width + 7) + 1] ^= 0x40;  // pixel (x 7, y 5), green
  io::write_png(dir + "/c.png", a);
  CliResult cmp = run_cli("compare " + dir + "/b.png " + dir + "/c.png");
  EXPECT_EQ(cmp.code, 1);
  EXPECT_NE(cmp.out.find("largest differences (x,y: channel diffs): 7,5:"), std::string::npos) << cmp.out;
}

}  // namespace
}  // namespace sdxl::test
