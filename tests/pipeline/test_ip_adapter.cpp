// Image prompts (IP-Adapter) end to end against diffusers 0.27.2 (tests/vision/data/make_ip_adapter_goldens.py):
// base and Plus adapters, two at once, with img2img, with a ControlNet, guidance on and off, on the tiny SDXL
// model with tiny random image encoders; plus the projected image tokens on their own, and the bad inputs of the
// issue.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>

#include "adapters/ip_adapter.h"
#include "golden_case.h"
#include "io/safetensors.h"
#include "vision/clip_image_processor.h"
#include "vision/image_encoder_file.h"

namespace sdxl::test {
namespace {

std::string ip_data(const std::string& name) { return std::string(SDXL_SOURCE_DIR) + "/tests/vision/data/" + name; }

const nlohmann::json& ip_cases() {
  static const nlohmann::json j = read_json(ip_data("cases.json"));
  return j;
}

GenerationRequest ip_request(const nlohmann::json& c) {
  GenerationRequest r = request_from_inputs(c);
  r.sampling.batch_noise = BatchNoise::Shared;
  r.output.save_trajectory = true;
  if (!c["init_image"].is_null()) {
    r.img2img.init_image = fixture(c["init_image"].get<std::string>());
    r.img2img.strength = c["strength"];
  }
  for (size_t i = 0; i < c["adapters"].size(); ++i) {
    IpAdapterSpec s;
    s.path = ip_data(c["adapters"][i]);
    s.image = ip_data(c["images"][i]);
    s.scale = c["scales"][i];
    s.image_encoder = ip_data(c["image_encoder"]);
    r.adapters.ip_adapters.push_back(s);
  }
  for (const auto& j : c.value("controls", nlohmann::json::array())) {
    ControlSpec s;
    s.model = fixture(j["model"].get<std::string>());
    s.image = fixture(j["image"].get<std::string>());
    s.scale = j["scale"];
    s.start = j["start"];
    s.end = j["end"];
    r.adapters.controls.push_back(s);
  }
  return r;
}

class IpAdapterGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(IpAdapterGolden, LatentsMatchDiffusers) {
  const nlohmann::json& c = ip_cases().at(GetParam());
  auto golden = load_golden_abs(ip_data(GetParam() + ".safetensors"));
  GenerationResult result = tiny_pipeline().generate(ip_request(c));
  expect_latents_match(result, golden);
  // The recorded request names what ran: adapter and image hashes, the encoder.
  ASSERT_EQ(result.request.adapters.ip_adapters.size(), c["adapters"].size());
  for (const IpAdapterSpec& s : result.request.adapters.ip_adapters) {
    EXPECT_EQ(s.sha256.size(), 64u);
    EXPECT_EQ(s.image_sha256.size(), 64u);
    EXPECT_EQ(s.image_encoder_used, *s.image_encoder);
  }
}

// ip_base_controlnet_s0.6 also resizes its control image 80x120 -> 64x64, a shrink on which Pillow 13 (vertical
// pass first) and Pillow 12.3.0 / sdxl-gen (horizontal first) differ by up to 28 levels: the generator refuses 13.
INSTANTIATE_TEST_SUITE_P(Cases, IpAdapterGolden,
                         ::testing::Values("ip_base_s0.6_cfg5", "ip_base_s0.6_cfg1", "ip_plus_s0.7_cfg5",
                                           "ip_plus_s0.7_cfg1", "ip_two_cfg5", "ip_base_img2img_s0.6",
                                           "ip_quick_s1.0_cfg5", "ip_base_controlnet_s0.6"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& ch : n)
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return n;
                         });

// The image projections alone (ImageProjection; Resampler) on the encoder's output for the case's image:
// the tokens diffusers' encoder_hid_proj made, [negative; positive] with guidance.
TEST(IpAdapterTokens, ProjectionsMatchDiffusers) {
  c10::InferenceMode guard;
  for (const std::string name : {"ip_base_s0.6_cfg5", "ip_plus_s0.7_cfg5"}) {
    const nlohmann::json& c = ip_cases().at(name);
    auto golden = load_golden_abs(ip_data(name + ".safetensors"));
    const ImageEncoderFile ef = open_image_encoder(ip_data(c["image_encoder"]));
    CLIPVisionModel encoder = load_clip_vision_model(ef.tensors(), ef.config, ef.path);
    IpAdapter adapter(read_ip_adapter(ip_data(c["adapters"][0])), at::TensorOptions().dtype(at::kFloat));
    const at::Tensor pixels = clip_image_pixels(io::read_png(ip_data(c["images"][0])), 224);
    const at::Tensor want = golden.at("tokens.0");  // [2, 1, T, C]
    const at::Tensor cond = adapter.project(encoder->forward(pixels));
    EXPECT_TRUE(AllClose(name + " positive tokens", cond, want[1], 1e-4));
    const at::Tensor uncond = adapter.file().uses_hidden_states()
                                  ? adapter.project(encoder->forward(at::zeros_like(pixels)))
                                  : adapter.project(CLIPVisionOutput{at::zeros({1, ef.config.projection_dim}), {}});
    EXPECT_TRUE(AllClose(name + " negative tokens", uncond, want[0], 1e-4));
  }
}

// An adapter whose layers take 96-wide tokens (as an SD 1.5 file's 768 against SDXL's 2048): a usage error
// naming the file, raised before generation.
TEST(IpAdapterErrors, AdapterForAnotherUNet) {
  std::map<std::string, at::Tensor> sd;
  for (const auto& [k, v] : load_golden_abs(ip_data("ip_base.safetensors"))) {
    if (k.rfind("ip_adapter.", 0) == 0) sd[k] = at::zeros({v.size(0), 96});
    else if (k == "image_proj.proj.weight") sd[k] = at::zeros({4 * 96, v.size(1)});
    else if (k == "image_proj.proj.bias") sd[k] = at::zeros({4 * 96});
    else sd[k] = at::zeros({96});
  }
  const std::string path = temp_path("ip_other_unet.safetensors");
  io::save_safetensors(path, sd);
  GenerationRequest r = ip_request(ip_cases().at("ip_base_s0.6_cfg5"));
  r.adapters.ip_adapters[0].path = path;
  try {
    tiny_pipeline().generate(r);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::Usage) << e.what();
    EXPECT_EQ(e.field(), "ip_adapter") << e.what();
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
}

TEST(IpAdapterErrors, MissingEncoderSaysWhereItLooked) {
  // The adapter copied to a folder with no image_encoder beside it, and no encoder given.
  // A folder of this process (a previous run's copy of the encoder would be found; libtorch's bundled
  // std::filesystem::remove_all crashes, so nothing is removed).
  const std::string dir =
      std::filesystem::path(temp_path("ip_no_encoder_" + std::to_string(getpid()))).lexically_normal().string();
  std::filesystem::create_directories(dir + "/sdxl_models");
  const std::string path = dir + "/sdxl_models/ip.safetensors";
  std::filesystem::copy_file(ip_data("ip_base.safetensors"), path, std::filesystem::copy_options::overwrite_existing);
  GenerationRequest r = ip_request(ip_cases().at("ip_base_s0.6_cfg5"));
  r.adapters.ip_adapters[0].path = path;
  r.adapters.ip_adapters[0].image_encoder.reset();
  const std::string msg = error_of([&] { tiny_pipeline().generate(r); });
  EXPECT_NE(msg.find("no image encoder for " + path), std::string::npos) << msg;
  EXPECT_NE(msg.find(dir + "/sdxl_models/image_encoder"), std::string::npos) << msg;
  EXPECT_NE(msg.find(dir + "/models/image_encoder"), std::string::npos) << msg;

  // With the encoder in the official layout beside it, it is found.
  std::filesystem::copy(ip_data("image_encoder_gelu"), dir + "/sdxl_models/image_encoder",
                        std::filesystem::copy_options::overwrite_existing | std::filesystem::copy_options::recursive);
  r.sampling.steps = 1;
  r.output.save_trajectory = false;
  GenerationResult result = tiny_pipeline().generate(r);
  EXPECT_EQ(result.request.adapters.ip_adapters[0].image_encoder_used, dir + "/sdxl_models/image_encoder");
}

TEST(IpAdapterErrors, UnreadableImage) {
  GenerationRequest r = ip_request(ip_cases().at("ip_base_s0.6_cfg5"));
  r.adapters.ip_adapters[0].image = ip_data("make_ip_adapter_goldens.py");
  try {
    tiny_pipeline().generate(r);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::Input) << e.what();
    EXPECT_EQ(e.field(), "ip_image") << e.what();
  }
}

}  // namespace
}  // namespace sdxl::test
