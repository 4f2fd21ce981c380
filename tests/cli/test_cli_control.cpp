// ControlNet through the executable: the reference's image from flags, the metadata (the web UI's ControlNet
// line, the sdxl-gen chunk's paths and hashes) and --from-png, bad input (one line, the documented exit code,
// nothing written), and `preprocess canny`.
#include <gtest/gtest.h>

#include "cli_runner.h"
#include "io/png.h"
#include "io/safetensors.h"
#include "pipeline/golden_case.h"
#include "pipeline/png_metadata.h"

namespace sdxl::test {
namespace {

std::string control_fixture(const std::string& name) { return fixture("control_golden/" + name); }

// cn_euler_5_single's inputs as flags (tests/control/make_control_goldens.py).
std::string single_case_flags() {
  const nlohmann::json in = read_json(control_fixture("cn_euler_5_single.json"))["inputs"];
  const auto& c = in["controls"][0];
  return "--model tiny --quiet --dtype fp32 --vae-dtype fp32 --sampler euler --steps 5 --cfg 5 --seed 42 --size 64x96"
         " --prompt " + shell_quote(in["prompt"]) + " --negative-prompt " + shell_quote(in["negative_prompt"]) +
         " --control " + shell_quote(control_fixture(c["model"])) + " --control-image " + shell_quote(control_fixture(c["image"])) +
         " --control-scale " + std::to_string(c["scale"].get<double>()) + " --control-start " +
         std::to_string(c["start"].get<double>()) + " --control-end " + std::to_string(c["end"].get<double>());
}

std::string control_chunk(const io::PngText& chunks, const std::string& key) {
  for (const auto& [k, v] : chunks)
    if (k == key) return v;
  return "";
}

TEST(CliControl, ReferenceImageMetadataAndFromPng) {
  const std::string dir = fresh_dir("control_meta");
  // A copy of the control image, to change it later.
  std::system(("cp " + shell_quote(control_fixture("control_a.png")) + " " + dir + "/control.png").c_str());
  std::string flags = single_case_flags();
  flags.replace(flags.find(shell_quote(control_fixture("control_a.png"))), shell_quote(control_fixture("control_a.png")).size(),
                shell_quote(dir + "/control.png"));
  CliResult r = run_cli(flags + " --out " + dir + "/a.png");
  ASSERT_EQ(r.code, 0) << r.err;
  expect_png_close("control_golden/cn_euler_5_single.png", io::to_tensor(io::read_png(dir + "/a.png")));

  io::PngText chunks;
  const io::Image img = io::read_png(dir + "/a.png", &chunks);
  const std::string params = control_chunk(chunks, "parameters");
  EXPECT_NE(params.find("ControlNet 0: \"Module: none, Model: tiny-controlnet ["), std::string::npos) << params;
  EXPECT_NE(params.find("Weight: 0.7, Resize Mode: Just Resize, Guidance Start: 0.1, Guidance End: 0.9"),
            std::string::npos) << params;
  GenerationRequest back = request_from_png_chunks(chunks, "a.png");
  ASSERT_EQ(back.adapters.controls.size(), 1u);
  EXPECT_EQ(back.adapters.controls[0].image, dir + "/control.png");
  EXPECT_EQ(back.adapters.controls[0].image_sha256.size(), 64u);
  EXPECT_FALSE(back.adapters.controls[0].model_hash.empty());

  // The dtype is a runtime choice, not part of the request: given again as for the first run.
  CliResult again = run_cli("--model tiny --quiet --dtype fp32 --vae-dtype fp32 --from-png " + dir + "/a.png --out " + dir +
                            "/b.png");
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_EQ(io::read_png(dir + "/b.png").rgb, img.rgb);

  // The recorded control image changed since: an input error naming it, nothing written.
  std::system(("cp " + shell_quote(control_fixture("control_b.png")) + " " + dir + "/control.png").c_str());
  CliResult changed = run_cli("--model tiny --quiet --from-png " + dir + "/a.png --out " + dir + "/c.png");
  EXPECT_EQ(changed.code, 3) << changed.err;
  EXPECT_NE(changed.err.find(dir + "/control.png has changed"), std::string::npos) << changed.err;
  EXPECT_FALSE(file_exists(dir + "/c.png"));
}

// jsonl: a line with "controls" makes the reference's image; the next line without any is the plain model.
TEST(CliControl, PromptFileControlsPerItem) {
  const std::string dir = fresh_dir("control_jsonl");
  const nlohmann::json in = read_json(control_fixture("cn_euler_5_single.json"))["inputs"];
  nlohmann::json controls = in["controls"];
  for (auto& c : controls) {
    c["model"] = control_fixture(c["model"]);
    c["image"] = control_fixture(c["image"]);
  }
  nlohmann::json line = {{"prompt", in["prompt"]}, {"negative_prompt", in["negative_prompt"]}, {"out", "a.png"},
                         {"controls", controls}};
  std::ofstream(dir + "/p.jsonl") << line.dump() << "\n"
                                  << nlohmann::json{{"prompt", in["prompt"]}, {"negative_prompt", in["negative_prompt"]},
                                                    {"out", "b.png"}}.dump()
                                  << "\n";
  CliResult r = run_cli("--model tiny --quiet --dtype fp32 --vae-dtype fp32 --sampler euler --steps 5 --cfg 5 --seed 42 "
                        "--size 64x96 --prompt-file " + dir + "/p.jsonl --out-dir " + dir);
  ASSERT_EQ(r.code, 0) << r.err;
  expect_png_close("control_golden/cn_euler_5_single.png", io::to_tensor(io::read_png(dir + "/a.png")));
  EXPECT_NE(io::read_png(dir + "/a.png").rgb, io::read_png(dir + "/b.png").rgb);
}

TEST(CliControl, BadInputIsOneLineWithItsExitCode) {
  const std::string dir = fresh_dir("control_errors");
  const std::string out = " --out " + dir + "/x.png";
  const std::string base = tiny_base() + " --size 64x64 --prompt x --control " + shell_quote(control_fixture("tiny-controlnet"));
  const std::string image = " --control-image " + shell_quote(control_fixture("control_b.png"));
  io::save_safetensors(dir + "/sd15.safetensors", {{"controlnet_cond_embedding.conv_in.weight", at::zeros({16, 3, 3, 3})},
                                                    {"time_embedding.linear_1.weight", at::zeros({4, 4})}});
  std::ofstream(dir + "/broken.png") << "not a png";
  struct Case {
    const char* name;
    std::string args;
    int code;
    std::string mentions;
  };
  const std::vector<Case> cases = {
      {"unreadable image", base + " --control-image " + dir + "/broken.png" + out, 3, "broken.png"},
      {"missing image", base + " --control-image " + dir + "/none.png" + out, 3, "none.png"},
      {"SD 1.5 ControlNet", tiny_base() + " --size 64x64 --prompt x --control " + dir + "/sd15.safetensors" + image + out, 3,
       "SD 1.x/2.x ControlNet"},
      {"missing model", tiny_base() + " --size 64x64 --prompt x --control " + dir + "/none.safetensors" + image + out, 3,
       "none.safetensors"},
      {"scale NaN", base + image + " --control-scale nan" + out, 2, "--control-scale"},
      {"start >= end", base + image + " --control-start 0.6 --control-end 0.4" + out, 2, "--control-start"},
      {"count mismatch", base + " --control-scale 0.5 --control-scale 0.6" + image + out, 2, "--control-scale"},
      {"image without control", tiny_base() + " --size 64x64 --prompt x" + image + out, 2, "--control"},
      {"unknown preprocessor", base + image + " --control-preprocess depth" + out, 2, "depth"},
  };
  for (const auto& c : cases) {
    CliResult r = run_cli(c.args);
    EXPECT_EQ(r.code, c.code) << c.name << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << c.name << ": " << r.err;
    EXPECT_NE(r.err.find(c.mentions), std::string::npos) << c.name << ": " << r.err;
    EXPECT_FALSE(file_exists(dir + "/x.png")) << c.name;
  }
}

TEST(CliControl, PreprocessCannyWritesOpenCVsEdges) {
  const std::string dir = fresh_dir("control_canny");
  CliResult r = run_cli("preprocess canny " + shell_quote(control_fixture("canny_soft.png")) + " " + dir + "/e.png --low 50 --high 120");
  ASSERT_EQ(r.code, 0) << r.err;
  const io::Image got = io::read_png(dir + "/e.png"), want = io::read_png(control_fixture("canny_soft_50_120.png"));
  EXPECT_EQ(got.rgb, want.rgb);
  EXPECT_EQ(run_cli("preprocess sobel " + shell_quote(control_fixture("canny_soft.png")) + " " + dir + "/f.png").code, 2);
}

}  // namespace
}  // namespace sdxl::test
