// Issue 23, bugs 7, 12 and friends, through the executable: a request (or a prompt-file item) too large for the
// machine's memory is refused before anything loads, with the estimate; a first SIGINT during one long step is
// honoured within seconds (the networks poll the stop between blocks); an embeddings folder with a LoRA in it; a
// tiny autoencoder config whose scaling_factor is not a number.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>

#include "cli_runner.h"

namespace sdxl::test {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr double kHonouredWithin = 5.0;  // seconds: a few blocks on a loaded machine

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// 64 images of 16384x16384 need over 250 GB for their decoded pixels alone: more than any test machine has.
TEST(CliLongStages, TooLargeForMemoryIsRefusedBeforeLoading) {
  const std::string dir = fresh_dir("memory_refusal");
  const auto start = Clock::now();
  CliResult r = run_cli("--model tiny --steps 1 --prompt x --size 16384x16384 --num-images 64 --batch-noise shared --out " +
                        dir + "/a.png");
  EXPECT_EQ(r.code, 1) << r.err;  // README: out of memory is a failed generation (1)
  EXPECT_NE(r.err.find("--size: 16384x16384 needs at least "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("GiB are available"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("load"), std::string::npos) << "refused only after loading: " << r.err;
  EXPECT_LT(seconds_since(start), 60.0);
  EXPECT_EQ(count_files(dir), 0);
}

// The same in a prompt file, per item with its own size and batch, before the first load: the item too large is
// reported as invalid (FILE:LINE: and the single request's wording), not started to run out of memory later;
// the other item is made, and the run ends as a batch with a failed item does (4); --resume makes nothing again.
TEST(CliLongStages, PromptFileItemTooLargeForMemoryIsRefusedBeforeLoading) {
  const std::string dir = fresh_dir("memory_refusal_batch");
  const std::string file = dir + "/p.jsonl";
  std::ofstream(file) << R"({"prompt": "small", "seed": 1})" << "\n"
                      << R"({"prompt": "huge", "seed": 2, "size": "16384x16384", "num_images": 64, "batch_noise": "shared"})"
                      << "\n";
  // {image}: the huge item's 64 images need distinct names, or the run is refused for that instead.
  // Not --quiet: the progress lines show when the models have loaded.
  const std::string args = "--model tiny --steps 2 --size 64x64 --name '{prompt}-{image}' --prompt-file " + file +
                           " --out-dir " + dir + "/out";
  const auto start = Clock::now();
  CliResult r = run_cli(args);
  EXPECT_EQ(r.code, 4) << r.err;  // README: batch, some items failed or were invalid
  const size_t refusal = r.err.find("sdxl-gen: " + file + ":2: size: 16384x16384 needs at least ");
  ASSERT_NE(refusal, std::string::npos) << r.err;
  EXPECT_NE(r.err.find("GiB are available", refusal), std::string::npos) << r.err;
  // Said with the plan, before the models load (the first item's progress), and never run into the allocator.
  EXPECT_LT(refusal, r.err.find("[1/2]")) << r.err;
  EXPECT_EQ(r.err.find("out of memory"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("done: 1 image(s) written, 0 item(s) already done, 1 failed"), std::string::npos) << r.err;
  EXPECT_LT(seconds_since(start), 60.0);
  EXPECT_EQ(count_files(dir + "/out"), 1);
  EXPECT_TRUE(file_exists(dir + "/out/small-0.png"));

  CliResult resumed = run_cli(args + " --resume");
  EXPECT_EQ(resumed.code, 4) << resumed.err;
  EXPECT_NE(resumed.err.find(file + ":2: size: 16384x16384 needs at least "), std::string::npos) << resumed.err;
  EXPECT_NE(resumed.err.find("done: 0 image(s) written, 1 item(s) already done, 1 failed"), std::string::npos)
      << resumed.err;
  EXPECT_EQ(count_files(dir + "/out"), 1);
}

// The tiny model's full VAE decodes 1024x1024 in about 25 s here (2 cores, loaded), in convolutions well under a
// second each. Interrupted once the decode has started, the run must end within seconds, with no image, rather than
// after the decode.
TEST(CliLongStages, FirstSigintInsideOneLongStageIsHonouredWithinSeconds) {
  const std::string dir = fresh_dir("sigint_long_stage");
  // Interrupted 1 s after the decode starts: inside it.
  const auto interrupted = interrupt_cli("--model tiny --steps 1 --cfg 1 --size 1024x1024 --seed 1 --prompt x "
                                         "--dtype fp32 --vae-dtype fp32 --out " + dir + "/a.png",
                                         dir, "INT", [&] { return err_contains(dir, "decode"); },
                                         std::chrono::seconds(300), std::chrono::seconds(1));
  const double latency = seconds_since(interrupted);
  EXPECT_EQ(std::stoi(slurp(dir + "/rc")), 130) << slurp(dir + "/err");
  EXPECT_LT(latency, kHonouredWithin) << "the interrupt waited for the decode to finish";
  EXPECT_EQ(count_files(dir), 0) << "the image was finished and written after the interrupt";
}

// Bug 6: a LoRA beside the embeddings is passed over (a prompt without an embedding word runs), and --verbose
// says so.
TEST(CliLongStages, EmbeddingsFolderPassesOverOtherSafetensors) {
  const std::string dir = fresh_dir("emb_with_lora");
  fs::create_directories(dir + "/emb");
  const std::string data = std::string(SDXL_SOURCE_DIR) + "/tests/adapters/data/";
  fs::copy_file(data + "embeddings/tinyemb.safetensors", dir + "/emb/tinyemb.safetensors");
  fs::copy_file(data + "kohya_sgm.safetensors", dir + "/emb/detail.safetensors");
  CliResult r = run_cli("--model tiny --steps 2 --size 64x64 --prompt " + shell_quote("a tinyemb cat") + " --embeddings-dir " + dir +
                        "/emb --verbose --out " + dir + "/a.png");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("embeddings skipped: " + dir + "/emb/detail.safetensors"), std::string::npos) << r.err;
  CliResult quiet = run_cli(tiny_flags() + " --prompt x --embeddings-dir " + dir + "/emb --out " + dir + "/b.png");
  ASSERT_EQ(quiet.code, 0) << quiet.err;
  EXPECT_EQ(quiet.err.find("detail.safetensors"), std::string::npos) << quiet.err;
}

// A config value of the wrong type is an error naming the file and key, not silently the default.
TEST(CliLongStages, TinyAutoencoderScalingFactorMustBeANumber) {
  const std::string dir = fresh_dir("taesd_bad_config");
  const std::string src = std::string(SDXL_SOURCE_DIR) + "/tests/vae/data/tiny-taesdxl";
  fs::create_directories(dir + "/vae");
  fs::copy_file(src + "/diffusion_pytorch_model.safetensors", dir + "/vae/diffusion_pytorch_model.safetensors");
  nlohmann::json config = read_json(src + "/config.json");
  config["scaling_factor"] = "1.0";
  std::ofstream(dir + "/vae/config.json") << config.dump(2);
  CliResult r = run_cli(tiny_flags() + " --prompt x --vae " + dir + "/vae --out " + dir + "/a.png");
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_NE(r.err.find("scaling_factor"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(dir + "/vae"), std::string::npos) << r.err;
  EXPECT_EQ(count_files(dir), 0);
}

}  // namespace
}  // namespace sdxl::test
