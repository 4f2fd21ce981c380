// End-to-end goldens (README-models.md section 5): every case's per-step latents, final latents, decoded
// image and 8-bit PNG, through the public Pipeline API on the tiny model family.
#include <gtest/gtest.h>

#include "golden_case.h"
#include "io/png.h"

namespace sdxl::test {
namespace {

class PipelineGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(PipelineGolden, MatchesReference) {
  GoldenCase c = load_golden_case(GetParam());
  auto golden = load_golden("pipeline_golden/" + c.name + ".safetensors");
  c.request.output.save_trajectory = true;
  Pipeline pipeline(c.options);
  GenerationResult result = pipeline.generate(c.request);

  const bool ensemble = golden.count("base.step_latents") > 0;
  std::vector<at::Tensor> want_steps;
  for (const char* prefix : {"", "base.", "refiner."}) {
    auto it = golden.find(std::string(prefix) + "step_latents");
    if (it == golden.end()) continue;
    for (int64_t s = 0; s < it->second.size(0); ++s) want_steps.push_back(it->second[s]);
  }
  ASSERT_EQ(result.trajectory.size(), want_steps.size()) << "number of sampling steps";
  for (size_t s = 0; s < want_steps.size(); ++s)
    EXPECT_TRUE(AllClose("step " + std::to_string(s) + " latents", result.trajectory[s], want_steps[s],
                         latent_tolerance(want_steps[s])));
  const std::string last = ensemble ? "refiner." : "";
  const at::Tensor& final_want = golden.at(last + "final_latents");
  EXPECT_TRUE(AllClose("final_latents", result.latents, final_want, latent_tolerance(final_want)));
  if (ensemble)
    EXPECT_TRUE(AllClose("base.final_latents", result.base_latents, golden.at("base.final_latents"),
                         latent_tolerance(golden.at("base.final_latents"))));
  EXPECT_TRUE(AllClose("decoded image", result.decoded, golden.at(last + "image"), kDecodedImageAtol));

  const auto& pngs = c.spec["derived"]["png"];
  for (size_t i = 0; i < pngs.size(); ++i)
    expect_png_close("pipeline_golden/" + pngs[i].get<std::string>(), result.images[static_cast<int64_t>(i)]);
}

// The single-file checkpoints (SGM key names, configs from --config) give the same images.
TEST(PipelineGoldenSingleFile, BaseAndRefinerMatchTheReference) {
  for (const char* name : {"base_dpmpp_2m_karras_8_cfg5", "refiner_ensemble_euler_8"}) {
    GoldenCase c = load_golden_case(name);
    c.options.model = fixture("tiny_sdxl_base.safetensors");
    c.options.config_dir = fixture("tiny-sdxl");
    if (!c.options.refiner.empty()) {
      c.options.refiner = fixture("tiny_sdxl_refiner.safetensors");
      c.options.refiner_config_dir = fixture("tiny-sdxl-refiner");
    }
    auto golden = load_golden("pipeline_golden/" + c.name + ".safetensors");
    GenerationResult result = Pipeline(c.options).generate(c.request);
    const std::string last = c.options.refiner.empty() ? "" : "refiner.";
    const at::Tensor& want = golden.at(last + "final_latents");
    EXPECT_TRUE(AllClose(std::string(name) + " final_latents", result.latents, want, latent_tolerance(want)));
    EXPECT_TRUE(AllClose(std::string(name) + " decoded image", result.decoded, golden.at(last + "image"), kDecodedImageAtol));
  }
}

std::vector<std::string> all_cases() {
  std::vector<std::string> names;
  for (const char* s : {"ddim", "euler", "euler_a", "dpmpp_2m_karras"})
    for (int n : {4, 8})
      for (int cfg : {1, 5}) names.push_back(std::string("base_") + s + "_" + std::to_string(n) + "_cfg" + std::to_string(cfg));
  for (const char* extra : {"batch2_euler_a", "micro_negative_original_only", "micro_negative_sizes",
                            "micro_orig_small_crop", "negative_none_zeros", "prompt2_and_negative2",
                            "refiner_ensemble_euler_8", "refiner_sdedit_strength0.3"})
    names.push_back(extra);
  return names;
}

INSTANTIATE_TEST_SUITE_P(AllCases, PipelineGolden, ::testing::ValuesIn(all_cases()),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (auto& ch : n)
                             if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return n;
                         });

}  // namespace
}  // namespace sdxl::test
