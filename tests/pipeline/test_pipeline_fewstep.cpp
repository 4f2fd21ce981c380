// Few-step recipes and prediction types end to end (tests/pipeline/data/fewstep_golden.*, made by
// make_fewstep_goldens.py with diffusers' StableDiffusionXLPipeline): LCM at CFG 1.5 and off, Turbo-style Euler a
// and Lightning-style Euler with trailing spacing at 1/2/4/8 steps and CFG off, v-prediction (+ zero-terminal-SNR)
// with Euler and DDIM, `sample` prediction with DDIM, and a v-prediction folder that runs without any flag.
#include <gtest/gtest.h>

#include "golden_case.h"

namespace sdxl::test {
namespace {

const std::string kFewStepData = std::string(SDXL_SOURCE_DIR) + "/tests/pipeline/data/";

const nlohmann::json& cases() {
  static const nlohmann::json j = read_json(kFewStepData + "fewstep_golden.json").at("cases");
  return j;
}

class FewStepGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(FewStepGolden, MatchesReference) {
  const nlohmann::json* spec = nullptr;
  for (const auto& c : cases())
    if (c.at("name") == GetParam()) spec = &c;
  ASSERT_NE(spec, nullptr);
  const nlohmann::json& c = *spec;
  PipelineOptions options;
  options.model = model_folder(c.at("model").get<std::string>());
  options.device = parse_device(test_device());
  options.dtype = options.vae_dtype = DType::Fp32;
  // The folder case runs as shipped: its scheduler class and config choose everything.
  GenerationRequest r = model_default_request(options);
  r.text.prompt = c.at("prompt");
  r.sampling.size = Size{c.at("height").get<int>(), c.at("width").get<int>()};
  r.sampling.steps = c.at("steps");
  r.sampling.cfg = c.at("guidance_scale");
  r.sampling.seed = c.at("seed").get<uint64_t>();
  r.output.save_trajectory = true;
  if (!c.at("sampler").is_null()) r.sampling.sampler = parse_sampler(c.at("sampler").get<std::string>());
  // Tiny autoencoder as the pipeline's VAE (--vae), and img2img on the script's init image.
  if (c.contains("vae")) options.vae = std::string(SDXL_SOURCE_DIR) + "/" + c.at("vae").get<std::string>();
  if (c.contains("strength")) {
    r.img2img.init_image = kFewStepData + "init_64x64.png";
    r.img2img.strength = c.at("strength");
  }
  for (const auto& [key, value] : c.at("overrides").items()) {
    if (key == "timestep_spacing") r.sampling.timestep_spacing = parse_timestep_spacing(value.get<std::string>());
    else if (key == "prediction_type") r.sampling.prediction_type = parse_prediction_type(value.get<std::string>());
    else if (key == "rescale_betas_zero_snr") r.sampling.zero_terminal_snr = value.get<bool>();
    else FAIL() << "unknown override " << key;
  }

  GenerationResult result = Pipeline(options).generate(r);
  const auto golden = load_golden_abs(kFewStepData + "fewstep_golden.safetensors");
  const std::string name = GetParam();
  const at::Tensor steps = golden.at(name + ".step_latents");
  ASSERT_EQ(static_cast<int64_t>(result.trajectory.size()), steps.size(0)) << "number of sampling steps";
  for (int64_t s = 0; s < steps.size(0); ++s)
    EXPECT_TRUE(AllClose(name + " step " + std::to_string(s), result.trajectory[s], steps[s], latent_tolerance(steps[s])));
  const at::Tensor& final_want = golden.at(name + ".final_latents");
  EXPECT_TRUE(AllClose(name + " final_latents", result.latents, final_want, latent_tolerance(final_want)));
  if (golden.count(name + ".image"))
    EXPECT_TRUE(AllClose(name + " decoded image", result.decoded, golden.at(name + ".image"), kDecodedImageAtol));
}

std::vector<std::string> case_names() {
  std::vector<std::string> names;
  for (const auto& c : cases()) names.push_back(c.at("name"));
  return names;
}

INSTANTIATE_TEST_SUITE_P(Cases, FewStepGolden, ::testing::ValuesIn(case_names()), [](const auto& info) {
  std::string n = info.param;
  for (auto& ch : n)
    if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return n;
});

// The v-prediction folder's scheduler settings are what the run records (PNG metadata, `info`).
TEST(FewStepPipeline, RecordsTheScheduleItUsed) {
  PipelineOptions options;
  options.model = model_folder("tests/pipeline/data/tiny-sdxl-vpred");
  options.dtype = options.vae_dtype = DType::Fp32;
  GenerationRequest r = model_default_request(options);
  EXPECT_EQ(r.sampling.sampler, SamplerKind::Euler);
  r.text.prompt = "a fox";
  r.sampling.size = Size{64, 64};
  r.sampling.steps = 1;
  r.sampling.seed = 1;
  const GenerationResult result = Pipeline(options).generate(r);
  EXPECT_EQ(result.request.sampling.prediction_type, PredictionType::VPrediction);
  EXPECT_EQ(result.request.sampling.zero_terminal_snr, true);
  EXPECT_EQ(result.request.sampling.timestep_spacing, TimestepSpacing::Trailing);
}

}  // namespace
}  // namespace sdxl::test
