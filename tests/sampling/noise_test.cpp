// Seeded CPU noise is bit-identical to torch.randn(shape, generator=torch.Generator("cpu").manual_seed(seed)).
#include <gtest/gtest.h>

#include "common/error.h"
#include "sampling/noise.h"
#include "test_util.h"

namespace sdxl {
namespace {

TEST(Noise, PipelineInitialNoiseSeed42) {
  const auto g = test::load_golden("pipeline_golden/base_euler_8_cfg1.safetensors");
  const at::Tensor want = g.at("initial_noise");
  NoiseSource noise = NoiseSource::batched(42);
  EXPECT_TRUE(test::AllClose("initial_noise", noise.randn(want.sizes()), want, 0.0));
}

TEST(Noise, VaeSampleNoiseSeed4253) {
  const auto g = test::load_golden("model_golden.safetensors");
  NoiseSource noise = NoiseSource::batched(4253);
  EXPECT_TRUE(test::AllClose("vae.enc.sample_noise", noise.randn({1, 4, 12, 8}), g.at("vae.enc.sample_noise"), 0.0));
}

// num_images_per_prompt mode: one randn([2, ...]) from seed 7 (batch2_euler_a).
TEST(Noise, BatchedDrawsWholeBatchFromOneGenerator) {
  const auto g = test::load_golden("pipeline_golden/batch2_euler_a.safetensors");
  NoiseSource noise = NoiseSource::batched(7);
  EXPECT_TRUE(test::AllClose("batch2 initial_noise", noise.randn({2, 4, 12, 8}), g.at("initial_noise"), 0.0));
}

// Per-image mode: image k of a batch equals a single-image run with seed + k, draw after draw.
TEST(Noise, PerImageSlicesEqualSingleImageSeeds) {
  NoiseSource batch = NoiseSource::per_image(42, 3);
  std::vector<NoiseSource> singles;
  for (int k = 0; k < 3; ++k) singles.push_back(NoiseSource::batched(42 + k));
  for (int draw = 0; draw < 2; ++draw) {
    const at::Tensor b = batch.randn({3, 4, 5, 6});
    for (int k = 0; k < 3; ++k)
      EXPECT_TRUE(test::AllClose("image " + std::to_string(k) + " draw " + std::to_string(draw), b[k].unsqueeze(0),
                                 singles[k].randn({1, 4, 5, 6}), 0.0));
  }
  // Image 0 of the per-image mode equals the golden seed-42 noise.
  const auto g = test::load_golden("pipeline_golden/base_euler_8_cfg1.safetensors");
  EXPECT_TRUE(test::AllClose("per-image image 0", NoiseSource::per_image(42, 2).randn({2, 4, 12, 8})[0].unsqueeze(0),
                             g.at("initial_noise"), 0.0));
}

TEST(Noise, PerImageRejectsWrongBatch) {
  NoiseSource noise = NoiseSource::per_image(1, 2);
  EXPECT_THROW(noise.randn({3, 4, 8, 8}), Error);
  EXPECT_THROW(NoiseSource::per_image(1, 0), Error);
}

// Drawn in float32 on the CPU, then converted: the values are the float32 draw rounded to the target dtype.
TEST(Noise, TargetDtypeIsConvertedFromFloat32Draw) {
  NoiseSource a = NoiseSource::batched(5), b = NoiseSource::batched(5);
  const at::Tensor half = a.randn({2, 3}, at::TensorOptions().dtype(at::kHalf));
  EXPECT_EQ(half.scalar_type(), at::kHalf);
  EXPECT_TRUE(half.equal(b.randn({2, 3}).to(at::kHalf)));
}

}  // namespace
}  // namespace sdxl
