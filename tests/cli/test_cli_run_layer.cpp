// The run layer's policy through the executable (issue 23's bugs): every check before any model loads,
// one rule for existing files, names and resume that find what a run wrote, --from-png that restores every
// setting that changes pixels. Each test failed on the main of before the run layer.

#include "cli_runner.h"
#include "io/png.h"
#include "pipeline/png_metadata.h"

namespace sdxl::test {
namespace {

const std::string kRepo = SDXL_SOURCE_DIR;
const std::string kInitPng = std::string(SDXL_FIXTURES) + "/pipeline_golden/base_euler_4_cfg5.png";  // 64x96
const std::string kMaskPng = std::string(SDXL_FIXTURES) + "/inpaint_golden/mask.png";

// Bug 1: full-resolution inpainting works at --size whatever the image's size (README's own example).
TEST(CliRunLayer, InpaintFullResTakesASizeOtherThanTheImage) {
  const std::string dir = fresh_dir("rl_fullres");
  CliResult r = run_cli(tiny_base() + " --prompt fox --seed 3 --init-image " + kInitPng + " --mask " + kMaskPng +
                        " --inpaint-full-res --size 64x64 --out " + dir + "/f.png");
  ASSERT_EQ(r.code, 0) << r.err;
  const io::Image img = io::read_png(dir + "/f.png");
  EXPECT_EQ(img.width, 64);
  EXPECT_EQ(img.height, 96);  // pasted back into the whole image
}

// Bug 2: --resume without --seed finds the items written before (their seeds were drawn at random).
TEST(CliRunLayer, ResumeWithoutSeedSkipsWhatWasWritten) {
  const std::string dir = fresh_dir("rl_resume");
  std::ofstream(dir + "/p.txt") << "a\nb\nc\n";
  const std::string args = tiny_flags() + " --prompt-file " + dir + "/p.txt --out-dir " + dir + "/out";
  CliResult first = run_cli(args, "SDXL_GEN_FAIL_ITEM=1", test_cli_path());
  EXPECT_EQ(first.code, 4) << first.err;
  ASSERT_EQ(count_files(dir + "/out"), 2);
  CliResult resumed = run_cli(args + " --resume");
  ASSERT_EQ(resumed.code, 0) << resumed.err;
  EXPECT_EQ(count_files(dir + "/out"), 3) << "items 0 and 2 were made again under new seeds";
}

// Bug 2: after Ctrl-C, the command that continues a single request keeps the seed it drew, so it makes the
// image this run would have made.
TEST(CliRunLayer, ContinueCommandKeepsTheDrawnSeed) {
  const std::string dir = fresh_dir("rl_continue");
  interrupt_cli("--model tiny --size 128x128 --steps 40 --prompt x --out " + dir + "/x.png", dir, "INT",
                [&] { return err_contains(dir, "base step"); });
  const std::string err = slurp(dir + "/err");
  const size_t at = err.find("\" seed ");
  ASSERT_NE(at, std::string::npos) << err;
  const std::string seed = err.substr(at + 7, err.find_first_not_of("0123456789", at + 7) - at - 7);
  EXPECT_NE(err.find("to continue: "), std::string::npos) << err;
  EXPECT_NE(err.find(" --resume --seed " + seed + "\n"), std::string::npos) << err;
}

// Bug 11: a flag that does nothing in this request says so.
TEST(CliRunLayer, FlagsThatDoNothingWarn) {
  const std::string dir = fresh_dir("rl_noop");
  CliResult r = run_cli("--model tiny --steps 2 --size 64x64 --prompt x --seed 1 --hires-strength 0.7 --strength 0.5 --out " +
                        dir + "/x.png");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("warning: --hires-strength does nothing without the hires fix"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("warning: --strength does nothing without an init image"), std::string::npos) << r.err;
  CliResult named = run_cli("--model tiny --steps 2 --size 64x64 --prompt x --seed 1 --name '{seed}.png' --out " + dir +
                            "/y.png");
  EXPECT_EQ(named.code, 0) << named.err;
  EXPECT_NE(named.err.find("warning: --name does nothing with a single output file"), std::string::npos) << named.err;
}

// Bug 3: one rule for every file the program writes: an existing one is replaced only with --overwrite.
TEST(CliRunLayer, ExistingFilesAreNeverReplacedUnasked) {
  const std::string dir = fresh_dir("rl_overwrite");
  for (const char* name : {"p.png", "l.safetensors", "grid.png", "d.png", "e.safetensors"}) std::ofstream(dir + "/" + name) << "keep";
  const std::string base = tiny_flags() + " --prompt x --seed 1 ";
  for (const std::string& extra : {"--preview " + dir + "/p.png --out " + dir + "/a.png",
                                   "--save-latents " + dir + "/l.safetensors --out " + dir + "/b.png",
                                   "--grid --out-dir " + dir}) {
    CliResult r = run_cli(base + extra);
    EXPECT_EQ(r.code, 2) << extra << ": " << r.err;
    EXPECT_NE(r.err.find("exists"), std::string::npos) << r.err;
  }
  CliResult diff = run_cli("compare " + kInitPng + " " + kInitPng + " --diff-image " + dir + "/d.png");
  EXPECT_EQ(diff.code, 2) << diff.out << diff.err;
  CliResult encode = run_cli("encode --model tiny --prompt x --out " + dir + "/e.safetensors");
  EXPECT_EQ(encode.code, 2) << encode.err;
  for (const char* name : {"p.png", "l.safetensors", "grid.png", "d.png", "e.safetensors"})
    EXPECT_EQ(slurp(dir + "/" + name), "keep") << name;
  EXPECT_EQ(count_files(dir), 3) << "nothing else written";
  // --overwrite allows it.
  EXPECT_EQ(run_cli("compare " + kInitPng + " " + kInitPng + " --overwrite --diff-image " + dir + "/d.png").code, 0);
  EXPECT_EQ(run_cli(base + "--overwrite --preview " + dir + "/p.png --out " + dir + "/a.png").code, 0);
}

// Bug 4: --from-png restores what changes pixels though it is not a request field: dtypes and --vae.
TEST(CliRunLayer, FromPngRestoresDtypesAndVae) {
  const std::string dir = fresh_dir("rl_from_png");
  const std::string vae = kRepo + "/tests/vae/data/tiny-taesdxl";
  for (const auto& [name, flags] : {std::pair{"fp32", std::string(" --dtype fp32 --vae-dtype fp32")},
                                    std::pair{"bf16", std::string(" --dtype bf16 --vae-dtype bf16")},
                                    std::pair{"vae", " --vae " + vae}}) {
    const std::string a = dir + "/" + name + ".png", b = dir + "/" + name + "_again.png";
    CliResult r = run_cli(tiny_flags() + " --prompt fox --seed 3" + flags + " --out " + a);
    ASSERT_EQ(r.code, 0) << r.err;
    CliResult again = run_cli("--quiet --from-png " + a + " --out " + b);
    ASSERT_EQ(again.code, 0) << again.err;
    EXPECT_EQ(io::read_png(a).rgb, io::read_png(b).rgb) << name << " is not reproduced bit for bit";
  }
  // `info --json` shows them.
  CliResult info = run_cli("info --json " + dir + "/vae.png");
  EXPECT_NE(info.out.find("\"vae\": \"" + vae + "\""), std::string::npos) << info.out;
  EXPECT_NE(run_cli("info --json " + dir + "/fp32.png").out.find("\"dtype\": \"fp32\""), std::string::npos);
  // Image 1 of a shared-noise batch (one generator for the batch) needs its batch again.
  CliResult batch = run_cli(tiny_flags() + " --prompt fox --seed 3 --num-images 2 --batch-noise shared --out " + dir + "/s.png");
  ASSERT_EQ(batch.code, 0) << batch.err;
  CliResult again = run_cli("--quiet --from-png " + dir + "/s_1.png --out " + dir + "/s1_again.png");
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_EQ(io::read_png(dir + "/s_1.png").rgb, io::read_png(dir + "/s1_again.png").rgb);
  EXPECT_FALSE(file_exists(dir + "/s1_again_0.png"));
}

// Bug 5: the default name gives a shared-noise batch's images distinct names.
TEST(CliRunLayer, DefaultNamesAreDistinctForSharedNoise) {
  const std::string dir = fresh_dir("rl_shared");
  CliResult r = run_cli(tiny_flags() + " --prompt x --seed 1 --num-images 2 --batch-noise shared --out-dir " + dir);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(count_files(dir), 2);
}

// Bug 6: a LoRA beside the embeddings is not an embedding; a prompt using none still runs.
TEST(CliRunLayer, EmbeddingsDirSkipsOtherSafetensors) {
  const std::string dir = fresh_dir("rl_emb");
  std::system(("mkdir -p " + dir + "/emb && cp " + kRepo + "/tests/adapters/data/embeddings/tinyemb.safetensors " +
               kRepo + "/tests/adapters/data/kohya_sgm.safetensors " + dir + "/emb/").c_str());
  CliResult r = run_cli(tiny_flags() + " --prompt 'a cat' --seed 1 --embeddings-dir " + dir + "/emb --out " + dir + "/a.png");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(file_exists(dir + "/a.png"));
}

// Bug 7: request checks happen before any model loads (no "done:" summary, which follows a load) and give
// README's exit code 2, with nothing written.
TEST(CliRunLayer, RequestChecksComeBeforeLoading) {
  const std::string dir = fresh_dir("rl_early");
  const std::string base = "--model tiny --steps 2 --size 64x64 --prompt x --seed 1 ";
  for (const std::string& extra : {std::string("--steps 1 --hires-scale 2.5"), std::string("--hires-scale 2 --hires-steps 10001"),
                                   "--preview " + dir + "/missing/p.png", "--save-latents " + dir + "/missing/l.safetensors"}) {
    CliResult r = run_cli(base + extra + " --out " + dir + "/x.png");
    EXPECT_EQ(r.code, 2) << extra << ": " << r.err;
    EXPECT_EQ(r.err.find("done:"), std::string::npos) << extra << ": " << r.err;
    EXPECT_FALSE(file_exists(dir + "/x.png")) << extra;
  }
}

// Bug 8: --shard splits a prompt file; on a single request it would make every array task write the same image.
TEST(CliRunLayer, ShardNeedsAPromptFile) {
  CliResult r = run_cli(tiny_flags() + " --prompt x --seed 1 --shard 0/2 --out " + fresh_dir("rl_shard") + "/x.png");
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("--shard"), std::string::npos) << r.err;
}

// Bug 9: a jsonl line's "out" renders its fields as --name does.
TEST(CliRunLayer, JsonlOutRendersFields) {
  const std::string dir = fresh_dir("rl_jsonl_out");
  std::ofstream(dir + "/p.jsonl") << R"({"prompt": "a", "out": "s{seed}-i{index}.png"})" << "\n";
  CliResult r = run_cli(tiny_flags() + " --seed 7 --prompt-file " + dir + "/p.jsonl --out-dir " + dir);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(file_exists(dir + "/s7-i0.png")) << r.err;
}

// Bug 10: exit codes as README's table says: bad values are usage errors (2).
TEST(CliRunLayer, BadValuesExitTwo) {
  const std::string dir = fresh_dir("rl_exit");
  const std::string base = tiny_flags() + " --prompt x --seed 1 --out-dir " + dir + " ";
  for (const std::string& name : {"'{bogus}.png'", "'{'", "''"}) {
    CliResult r = run_cli(base + "--name " + name);
    EXPECT_EQ(r.code, 2) << name << ": " << r.err;
    EXPECT_NE(r.err.find("--name"), std::string::npos) << r.err;
  }
  CliResult lora = run_cli(base + "--lora " + kRepo + "/tests/adapters/data/kohya_sgm.safetensors:abc");
  EXPECT_EQ(lora.code, 2) << lora.err;
  EXPECT_NE(lora.err.find("multiplier 'abc'"), std::string::npos) << lora.err;
  CliResult psnr = run_cli("compare " + kInitPng + " " + kInitPng + " --min-psnr nan");
  EXPECT_EQ(psnr.code, 2) << psnr.out << psnr.err;
  EXPECT_EQ(count_files(dir, ""), 0);
}

// Bug 13: the web-UI text records the prompt as written, <lora:...> tags included (the web UI keeps them).
TEST(CliRunLayer, WebUiTextKeepsLoraTags) {
  const std::string dir = fresh_dir("rl_tags");
  CliResult r = run_cli(tiny_flags() + " --seed 1 --prompt " + shell_quote("a cat <lora:kohya_sgm:0.6>") + " --lora-dir " +
                        kRepo + "/tests/adapters/data --out " + dir + "/t.png");
  ASSERT_EQ(r.code, 0) << r.err;
  io::PngText chunks;
  io::read_png(dir + "/t.png", &chunks);
  std::string params;
  for (const auto& [k, v] : chunks)
    if (k == "parameters") params = v;
  EXPECT_EQ(params.rfind("a cat <lora:kohya_sgm:0.6>\n", 0), 0u) << params;
  // The sdxl-gen chunk keeps the request as run: the tag resolved into its file, which re-runs the same image.
  CliResult again = run_cli("--quiet --from-png " + dir + "/t.png --out " + dir + "/again.png");
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_EQ(io::read_png(dir + "/t.png").rgb, io::read_png(dir + "/again.png").rgb);
}

// Bug 14: "--out .png" would write a hidden file.
TEST(CliRunLayer, HiddenOutputNameIsRefused) {
  const std::string dir = fresh_dir("rl_hidden");
  CliResult r = run_cli(tiny_flags() + " --prompt x --seed 1 --out " + dir + "/.png");
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_EQ(count_files(dir, ""), 0);
}

// The request's field table (src/pipeline/request.cpp) and the CLI's flag list (src/cli/request_flags.cpp)
// are kept by hand: every field a prompt file or PNG can carry has the flag of its name ("loras": --lora).
TEST(CliRunLayer, EveryRequestFieldHasItsFlag) {
  const std::string help = run_cli("--help").out;
  for (const std::string& field : request_fields()) {
    std::string flag = field == "loras"         ? "--lora"
                       : field == "controls"    ? "--control"
                       : field == "ip_adapters" ? "--ip-adapter"
                                                : "--" + field;
    for (char& c : flag)
      if (c == '_') c = '-';
    bool found = false;  // as a whole option name: followed by a space, ',' or '='
    for (size_t at = help.find(flag); at != std::string::npos && !found; at = help.find(flag, at + 1))
      found = at + flag.size() < help.size() && std::string(" ,=").find(help[at + flag.size()]) != std::string::npos;
    EXPECT_TRUE(found) << field << ": no " << flag << " in --help";
  }
}

#ifdef SDXL_EXAMPLE_GENERATE
// examples/generate.cpp, the smallest front end on the run layer: a request in, a PNG out.
TEST(CliRunLayer, GenerateExampleWritesAPng) {
  const std::string dir = fresh_dir("rl_example");
  CliResult r = run_cli(shell_quote(R"({"prompt": "a red fox", "seed": 1, "steps": 2, "size": "64x48"})") + " " + dir +
                            "/fox.png",
                        "", SDXL_EXAMPLE_GENERATE);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(io::read_png(dir + "/fox.png").width, 64);
  // The same request through the CLI gives the same image.
  ASSERT_EQ(run_cli("--model tiny --quiet --prompt 'a red fox' --seed 1 --steps 2 --size 64x48 --out " + dir + "/cli.png").code, 0);
  EXPECT_EQ(io::read_png(dir + "/fox.png").rgb, io::read_png(dir + "/cli.png").rgb);
  // A bad request names its field.
  CliResult bad = run_cli(shell_quote(R"({"prompt": "x", "steps": 0})") + " " + dir + "/bad.png", "", SDXL_EXAMPLE_GENERATE);
  EXPECT_EQ(bad.code, 2) << bad.err;
  EXPECT_NE(bad.err.find("steps: "), std::string::npos) << bad.err;
  EXPECT_NE(r.err.find("wrote " + dir + "/fox.png"), std::string::npos) << r.err;
}
#endif

}  // namespace
}  // namespace sdxl::test
