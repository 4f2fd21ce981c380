// Image prompts through the executable: --ip-adapter/--ip-image/--image-encoder pairing, the metadata
// (sdxl-gen chunk with the hashes the golden generator computed, the web-UI line) and --from-png, and the
// bad inputs of the issue as one line with their exit codes.
#include <gtest/gtest.h>

#include <algorithm>

#include "cli_runner.h"
#include "io/png.h"
#include "pipeline/png_metadata.h"

namespace sdxl::test {
namespace {

std::string ip_data(const std::string& name) { return std::string(SDXL_SOURCE_DIR) + "/tests/vision/data/" + name; }
const nlohmann::json& ip_sha256() {
  static const nlohmann::json j = read_json(ip_data("cases.json"))["_sha256"];
  return j;
}
const std::string kIpFlags = "--model tiny --steps 2 --size 64x64 --seed 3 --prompt " + shell_quote("a cat");
const std::string kIpAdapterFlags = " --ip-adapter " + shell_quote(ip_data("ip_base.safetensors") + ":0.6") + " --ip-image " +
                             shell_quote(ip_data("ip_a.png")) + " --image-encoder " +
                             shell_quote(ip_data("image_encoder_gelu"));

std::string ip_chunk(const io::PngText& chunks, const std::string& key) {
  for (const auto& [k, v] : chunks)
    if (k == key) return v;
  return "";
}

size_t stderr_lines(const std::string& s) { return static_cast<size_t>(std::count(s.begin(), s.end(), '\n')); }

TEST(CliIpAdapter, MetadataAndFromPng) {
  const std::string dir = fresh_dir("ip_meta");
  CliResult r = run_cli(kIpFlags + kIpAdapterFlags + " --out " + dir + "/a.png");
  ASSERT_EQ(r.code, 0) << r.err;
  CliResult plain = run_cli(kIpFlags + " --out " + dir + "/plain.png");
  ASSERT_EQ(plain.code, 0) << plain.err;
  EXPECT_FALSE(io::read_png(dir + "/a.png") == io::read_png(dir + "/plain.png")) << "the image prompt changed nothing";

  io::PngText chunks;
  const io::Image img = io::read_png(dir + "/a.png", &chunks);
  const std::string adapter_hash = ip_sha256()["ip_base.safetensors"];
  EXPECT_NE(ip_chunk(chunks, "parameters").find("IP-Adapter 0: \"Model: ip_base [" + adapter_hash.substr(0, 8) + "], Weight: 0.6"),
            std::string::npos)
      << ip_chunk(chunks, "parameters");
  GenerationRequest back = request_from_png_chunks(chunks, "a.png");
  ASSERT_EQ(back.adapters.ip_adapters.size(), 1u);
  EXPECT_EQ(back.adapters.ip_adapters[0].path, ip_data("ip_base.safetensors"));
  EXPECT_EQ(back.adapters.ip_adapters[0].scale, 0.6);
  EXPECT_EQ(back.adapters.ip_adapters[0].sha256, adapter_hash);
  EXPECT_EQ(back.adapters.ip_adapters[0].image_sha256, ip_sha256()["ip_a.png"].get<std::string>());

  CliResult again = run_cli("--model tiny --quiet --from-png " + dir + "/a.png --out " + dir + "/b.png");
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_TRUE(io::read_png(dir + "/b.png") == img) << "--from-png did not reproduce the image";
}

TEST(CliIpAdapter, BadInputsAreOneLineWithTheirExitCodes) {
  const std::string dir = fresh_dir("ip_bad");
  const std::string kIpFlags = "--quiet " + test::kIpFlags;  // no notes: stderr holds the error alone
  // Unpaired flags: usage (2).
  CliResult r = run_cli(kIpFlags + " --ip-adapter " + shell_quote(ip_data("ip_base.safetensors")) + " --out " + dir + "/a.png");
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_EQ(stderr_lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("--ip-image"), std::string::npos) << r.err;
  // No encoder beside the adapter and none given: input (3), saying where it looked.
  r = run_cli(kIpFlags + " --ip-adapter " + shell_quote(ip_data("ip_base.safetensors")) + " --ip-image " +
              shell_quote(ip_data("ip_a.png")) + " --out " + dir + "/b.png");
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_EQ(stderr_lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("--image-encoder: no image encoder for"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(ip_data("image_encoder")), std::string::npos) << r.err;
  // An unreadable image: input (3) naming --ip-image.
  r = run_cli(kIpFlags + " --ip-adapter " + shell_quote(ip_data("ip_base.safetensors")) + " --ip-image " +
              shell_quote(ip_data("cases.json")) + " --image-encoder " + shell_quote(ip_data("image_encoder_gelu")) +
              " --out " + dir + "/c.png");
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_EQ(stderr_lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("--ip-image"), std::string::npos) << r.err;
  // An adapter whose projection does not fit the encoder (the Plus adapter takes hidden states 128 wide, the
  // quick_gelu encoder's are 64): usage (2).
  r = run_cli(kIpFlags + " --ip-adapter " + shell_quote(ip_data("ip_plus.safetensors")) + " --ip-image " +
              shell_quote(ip_data("ip_a.png")) + " --image-encoder " +
              shell_quote(ip_data("image_encoder_quick_gelu")) + " --out " + dir + "/d.png");
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_EQ(stderr_lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("--ip-adapter"), std::string::npos) << r.err;
  EXPECT_FALSE(file_exists(dir + "/a.png") || file_exists(dir + "/b.png") || file_exists(dir + "/c.png") ||
               file_exists(dir + "/d.png"));
}

}  // namespace
}  // namespace sdxl::test
