// Pipeline invariants beyond the goldens: one-step schedules, per-image batch noise, clear errors.
#include <gtest/gtest.h>

#include "common/error.h"
#include "sdxl/pipeline.h"
#include "golden_case.h"
#include "test_util.h"

namespace sdxl::test {
namespace {

GenerationRequest small_request() {
  GenerationRequest r;
  r.text.prompt = "a lighthouse at dusk";
  r.text.negative_prompt = "blurry";
  r.sampling.size = Size{64, 48};
  r.sampling.steps = 3;
  r.sampling.seed = 10;
  return r;
}

TEST(PipelineBehaviour, OneStepWorksForEverySampler) {
  for (const char* sampler : {"ddim", "euler", "euler_a", "dpmpp_2m"}) {
    for (bool karras : {false, true}) {
      if (karras && std::string(sampler) == "ddim") continue;
      GenerationRequest r = small_request();
      r.sampling.sampler = parse_sampler(sampler);
      r.sampling.karras = karras;
      r.sampling.steps = 1;
      GenerationResult out = tiny_pipeline().generate(r);
      EXPECT_EQ(out.images.sizes(), (std::vector<int64_t>{1, 64, 48, 3})) << sampler;
      EXPECT_TRUE(out.latents.isfinite().all().item<bool>()) << sampler << (karras ? " karras" : "");
    }
  }
}

TEST(PipelineBehaviour, PerImageBatchEqualsSingleRunsWithNextSeeds) {
  GenerationRequest batch = small_request();
  batch.sampling.sampler =
      SamplerKind::EulerAncestral;  // ancestral noise must also come from each image's own generator
  batch.sampling.num_images = 3;
  GenerationResult all = tiny_pipeline().generate(batch);
  ASSERT_EQ(all.seeds, (std::vector<uint64_t>{10, 11, 12}));
  for (int i = 0; i < 3; ++i) {
    GenerationRequest one = small_request();
    one.sampling.sampler = SamplerKind::EulerAncestral;
    one.sampling.seed = 10 + i;
    GenerationResult single = tiny_pipeline().generate(one);
    // Exactly: each image of a per-image batch is sampled as its own single run.
    EXPECT_TRUE(at::equal(all.latents[i], single.latents[0])) << "image " << i;
    EXPECT_TRUE(at::equal(all.images[i], single.images[0])) << "image " << i;
  }
}

TEST(PipelineBehaviour, SharedNoiseDiffersFromPerImage) {
  GenerationRequest r = small_request();
  r.sampling.num_images = 2;
  GenerationResult per_image = tiny_pipeline().generate(r);
  r.sampling.batch_noise = BatchNoise::Shared;
  GenerationResult shared = tiny_pipeline().generate(r);
  // Image 0 starts from the same first draw; image 1 does not.
  EXPECT_TRUE(AllClose("image 0", shared.latents[0], per_image.latents[0], 1e-4));
  EXPECT_GT(max_abs_diff(shared.latents[1], per_image.latents[1]), 1e-2);
}

TEST(PipelineBehaviour, GuidanceRescaleChangesTheResultOnlyWhenSet) {
  GenerationRequest r = small_request();
  GenerationResult plain = tiny_pipeline().generate(r);
  r.sampling.guidance_rescale = 0.7;
  GenerationResult rescaled = tiny_pipeline().generate(r);
  EXPECT_GT(max_abs_diff(plain.latents, rescaled.latents), 1e-3);
}

// --low-memory loads each model for its stage and drops it after; a second request reloads them. The
// images must be exactly those of a pipeline that keeps every model, for base + refiner and img2img.
TEST(PipelineBehaviour, LowMemoryReloadsGiveIdenticalImages) {
  auto options = [](bool low_memory) {
    PipelineOptions o;
    o.model = fixture("tiny-sdxl");
    o.refiner = fixture("tiny-sdxl-refiner");
    o.device = DeviceChoice{DeviceKind::Cpu};
    o.dtype = o.vae_dtype = DType::Fp32;  // compared at fp32 tolerances (auto is bf16 on BF16 CPUs)
    o.low_memory = low_memory;
    return o;
  };
  Pipeline keep_all(options(false)), low_memory(options(true));
  GenerationRequest first = small_request();
  GenerationRequest second = small_request();
  second.text.prompt = "a red fox in snow";
  second.sampling.seed = 3;
  second.refiner.mode = RefinerMode::Expert;
  for (const GenerationRequest& r : {first, second, first}) {
    GenerationResult want = keep_all.generate(r), got = low_memory.generate(r);
    EXPECT_TRUE(got.latents.equal(want.latents)) << r.text.prompt << " seed " << *r.sampling.seed;
    EXPECT_TRUE(got.images.equal(want.images)) << r.text.prompt << " seed " << *r.sampling.seed;
  }
}

// A refiner given as its UNet alone (no text encoder 2, no VAE) borrows the base's; the fixture refiner's own
// encoder 2 is a link to the base's, so the images equal those of the full refiner folder, also when
// --low-memory has released the base's encoders before the refiner stage.
TEST(PipelineBehaviour, RefinerWithoutEncoder2BorrowsTheBasesOne) {
  auto options = [](const std::string& refiner, bool low_memory) {
    PipelineOptions o;
    o.model = fixture("tiny-sdxl");
    o.refiner = refiner;
    o.refiner_config_dir = fixture("tiny-sdxl-refiner");  // model_index.json says refiner (tiny widths hide it)
    o.device = DeviceChoice{DeviceKind::Cpu};
    o.dtype = o.vae_dtype = DType::Fp32;  // compared at fp32 tolerances (auto is bf16 on BF16 CPUs)
    o.low_memory = low_memory;
    return o;
  };
  GenerationRequest r = small_request();
  r.refiner.mode = RefinerMode::Expert;
  const GenerationResult want = Pipeline(options(fixture("tiny-sdxl-refiner"), false)).generate(r);
  for (bool low_memory : {false, true}) {
    const GenerationResult got = Pipeline(options(fixture("tiny-sdxl-refiner/unet"), low_memory)).generate(r);
    EXPECT_TRUE(got.latents.equal(want.latents)) << (low_memory ? "low memory" : "all loaded");
  }
}

TEST(PipelineBehaviour, InvalidRequestsThrowNamingTheField) {
  GenerationRequest r = small_request();
  r.sampling.size = Size{60, 48};
  try {
    tiny_pipeline().generate(r);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("multiple of 8"), std::string::npos) << e.what();
  }
  r = small_request();
  r.sampling.sampler = SamplerKind::DDIM;
  r.sampling.karras = true;  // DDIM has no Karras sigmas
  try {
    tiny_pipeline().generate(r);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.field(), "karras");
    EXPECT_EQ(e.category(), ErrorCategory::Usage);
  }
  r = small_request();
  r.img2img.init_image = fixture("pipeline_golden/base_euler_8_cfg5.png");
  r.sampling.size = Size{96, 64};
  r.sampling.steps = 2;
  r.img2img.strength = 0.3;  // int(2 * 0.3) = 0 steps left
  EXPECT_THROW(tiny_pipeline().generate(r), Error);
}

}  // namespace
}  // namespace sdxl::test
