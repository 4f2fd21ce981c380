// Sampler behaviour beyond the goldens: one-step schedules for every sampler/option, argument errors, step
// order, how many noise draws each sampler takes, dtypes, and per-image noise equalling single-image runs.
#include <gtest/gtest.h>

#include "common/error.h"
#include "golden_json.h"
#include "sampling/sampler.h"
#include "sampling/train_schedule.h"

namespace sdxl {
namespace {

const std::vector<int64_t> kShape{2, 4, 6, 5};

std::vector<std::pair<SamplerKind, bool>> every_sampler() {
  return {{SamplerKind::DDIM, false},    {SamplerKind::Euler, false},           {SamplerKind::Euler, true},
          {SamplerKind::EulerAncestral, false}, {SamplerKind::EulerAncestral, true}, {SamplerKind::DPMPP2M, false},
          {SamplerKind::DPMPP2M, true}};
}

std::string label(SamplerKind kind, bool karras) { return std::string(to_string(kind)) + (karras ? "+karras" : ""); }

// A single step ends at sigma 0: Euler-family and DPM++ return their x0 prediction; DDIM lands on
// sqrt(a_prev) x0 + sqrt(1 - a_prev) eps with a_prev = alphas_cumprod[0].
TEST(Sampler, OneStepWorksForEverySamplerAndSpacing) {
  const auto config = test::golden_scheduler_config();
  for (auto [kind, karras] : every_sampler()) {
    for (const auto& sp : kSpacingNames) {
      const std::string name = label(kind, karras) + " " + sp.name;
      if (sp.value == TimestepSpacing::SgmUniform && kind != SamplerKind::Euler && kind != SamplerKind::EulerAncestral) {
        EXPECT_THROW(make_schedule(kind, 1, config, karras, sp.value), Error) << name << ": Euler family only";
        continue;
      }
      Sampler sampler(make_schedule(kind, 1, config, karras, sp.value));
      ASSERT_EQ(sampler.num_steps(), 1) << name;
      NoiseSource noise = NoiseSource::batched(3);
      const at::Tensor x = noise.randn(kShape) * sampler.init_noise_sigma(), eps = noise.randn(kShape);
      at::Tensor x0;
      const at::Tensor prev = sampler.step(eps, 0, sampler.scale_model_input(x, 0), noise, &x0);
      ASSERT_TRUE(prev.isfinite().all().item<bool>()) << name;
      EXPECT_EQ(prev.sizes(), x.sizes()) << name;
      if (kind != SamplerKind::DDIM) {
        EXPECT_TRUE(test::AllClose(name + " one step = x0", prev, x0, 1e-4 * x0.abs().max().item<double>()));
      } else {
        const double a_prev = sampler.schedule().alpha_prod_t_prev[0];
        EXPECT_EQ(a_prev, TrainSchedule(config).alphas_cumprod[0]) << name;
        EXPECT_TRUE(test::AllClose(name + " ddim last step", prev, x0 * std::sqrt(a_prev) + eps * std::sqrt(1 - a_prev),
                                   1e-5));
      }
    }
  }
}

TEST(Sampler, RejectsInvalidArguments) {
  const auto config = test::golden_scheduler_config();
  for (int steps : {0, -3, 1001}) EXPECT_THROW(make_schedule(SamplerKind::Euler, steps, config), Error) << steps;
  EXPECT_THROW(make_schedule(SamplerKind::DDIM, 10, config, /*karras=*/true), Error);
  const Schedule s = make_schedule(SamplerKind::Euler, 10, config);
  for (double strength : {-0.1, 1.1, std::nan("")}) EXPECT_THROW(with_strength(s, strength), Error) << strength;
  for (double f : {0.0, 1.0, -0.5, 2.0}) {
    EXPECT_THROW(with_denoising_end(s, f), Error) << f;
    EXPECT_THROW(with_denoising_start(s, f), Error) << f;
  }
  try {
    make_schedule(SamplerKind::DDIM, 10, config, true);
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("ddim"), std::string::npos) << e.what();
  }
}

TEST(Sampler, StepsMustRunInOrderAndInRange) {
  Sampler sampler(make_schedule(SamplerKind::DPMPP2M, 3, test::golden_scheduler_config()));
  NoiseSource noise = NoiseSource::batched(1);
  const at::Tensor x = noise.randn(kShape);
  EXPECT_THROW(sampler.step(x, 1, x, noise), Error);
  sampler.step(x, 0, x, noise);
  EXPECT_THROW(sampler.step(x, 0, x, noise), Error);
  EXPECT_THROW(sampler.timestep(3), Error);
  EXPECT_THROW(sampler.scale_model_input(x, -1), Error);
}

TEST(Sampler, EmptyRangeHasNoStepsAndCannotNoise) {
  // 1 step at strength 0.3 keeps int(0.3) = 0 steps, as the golden's img2img entries.
  Sampler sampler(with_strength(make_schedule(SamplerKind::Euler, 1, test::golden_scheduler_config()), 0.3));
  EXPECT_EQ(sampler.num_steps(), 0);
  const at::Tensor x = at::zeros(kShape);
  EXPECT_THROW(sampler.add_noise(x, x), Error);
}

// Euler ancestral draws its noise per step, Euler one unused draw per step; DDIM (eta 0) and DPM++ draw nothing.
TEST(Sampler, NoiseDrawsPerStepFollowTheReference) {
  const auto config = test::golden_scheduler_config();
  for (auto [kind, karras] : every_sampler()) {
    Sampler sampler(make_schedule(kind, 4, config, karras));
    NoiseSource used = NoiseSource::batched(9), fresh = NoiseSource::batched(9), data = NoiseSource::batched(10);
    at::Tensor x = data.randn(kShape);
    for (int i = 0; i < 3; ++i) x = sampler.step(data.randn(kShape), i, x, used);
    const int draws = (kind == SamplerKind::Euler || kind == SamplerKind::EulerAncestral) ? 3 : 0;
    for (int d = 0; d < draws; ++d) fresh.randn(kShape);
    EXPECT_TRUE(used.randn(kShape).equal(fresh.randn(kShape))) << label(kind, karras) << " should take " << draws;
  }
}

// sdxl-gen's default batch mode: image k of a per-image batch equals a one-image run with seed + k.
TEST(Sampler, PerImageBatchEqualsSingleImageRuns) {
  const Schedule schedule = make_schedule(SamplerKind::EulerAncestral, 5, test::golden_scheduler_config());
  auto run = [&](NoiseSource& noise, int64_t batch) {
    Sampler sampler(schedule);
    NoiseSource model = NoiseSource::per_image(100, batch);  // stand-in model outputs, per image as well
    at::Tensor x = noise.randn({batch, 4, 6, 5}) * sampler.init_noise_sigma();
    for (int i = 0; i < sampler.num_steps(); ++i) x = sampler.step(model.randn({batch, 4, 6, 5}), i, x, noise);
    return x;
  };
  NoiseSource batch_noise = NoiseSource::per_image(50, 2);
  const at::Tensor batch = run(batch_noise, 2);
  for (int k = 0; k < 2; ++k) {
    NoiseSource single = NoiseSource::batched(50 + k);
    // The stand-in model outputs of image k also come from seed 100 + k.
    Sampler sampler(schedule);
    NoiseSource model = NoiseSource::batched(100 + k);
    at::Tensor x = single.randn({1, 4, 6, 5}) * sampler.init_noise_sigma();
    for (int i = 0; i < sampler.num_steps(); ++i) x = sampler.step(model.randn({1, 4, 6, 5}), i, x, single);
    EXPECT_TRUE(test::AllClose("image " + std::to_string(k), batch[k].unsqueeze(0), x, 0.0));
  }
}

// Results come back in the model output's dtype (the reference computes Euler / DPM++ updates in float32).
TEST(Sampler, FollowsInputDtype) {
  const auto config = test::golden_scheduler_config();
  for (auto [kind, karras] : every_sampler()) {
    for (auto dtype : {at::kDouble, at::kHalf}) {
      Sampler low(make_schedule(kind, 3, config, karras)), ref(make_schedule(kind, 3, config, karras));
      NoiseSource n1 = NoiseSource::batched(4), n2 = NoiseSource::batched(4), data = NoiseSource::batched(5);
      at::Tensor x = data.randn(kShape) * low.init_noise_sigma(), y = x.to(dtype);
      for (int i = 0; i < 3; ++i) {
        const at::Tensor eps = data.randn(kShape);
        x = ref.step(eps, i, x, n1);
        EXPECT_EQ(low.scale_model_input(y, i).scalar_type(), dtype) << label(kind, karras);
        y = low.step(eps.to(dtype), i, y, n2);
        EXPECT_EQ(y.scalar_type(), dtype) << label(kind, karras);
      }
      const double tol = (dtype == at::kHalf ? 2e-2 : 1e-5) * std::max(1.0, x.abs().max().item<double>());
      EXPECT_TRUE(test::AllClose(label(kind, karras) + " in " + std::string(c10::toString(dtype)), y, x, tol));
    }
  }
}

TEST(Sampler, TimestepIsFloat32Scalar) {
  Sampler sampler(make_schedule(SamplerKind::Euler, 4, test::golden_scheduler_config(), /*karras=*/true));
  const at::Tensor t = sampler.timestep(1);
  EXPECT_EQ(t.dim(), 0);
  EXPECT_EQ(t.scalar_type(), at::kFloat);
  EXPECT_EQ(t.item<double>(), sampler.schedule().timesteps[1]);
  EXPECT_NE(t.item<double>(), std::round(t.item<double>()));  // Euler Karras timesteps are fractional
}

// Euler-family img2img noising is x0 + sigma * noise at the first remaining step, without init_noise_sigma.
TEST(Sampler, AddNoiseUsesFirstRemainingStep) {
  const auto config = test::golden_scheduler_config();
  NoiseSource data = NoiseSource::batched(8);
  const at::Tensor x0 = data.randn(kShape), n = data.randn(kShape);
  Sampler euler(with_strength(make_schedule(SamplerKind::Euler, 10, config), 0.3));
  EXPECT_EQ(euler.timestep(0).item<double>(), 201.0);
  EXPECT_TRUE(test::AllClose("euler add_noise", euler.add_noise(x0, n), x0 + n * euler.schedule().sigma(0), 0.0));
  Sampler ddim(with_strength(make_schedule(SamplerKind::DDIM, 10, config), 0.3));
  const double a = ddim.schedule().alpha_prod_t[ddim.schedule().begin];
  EXPECT_TRUE(test::AllClose("ddim add_noise", ddim.add_noise(x0, n), x0 * std::sqrt(a) + n * std::sqrt(1 - a), 1e-6));
}

}  // namespace
}  // namespace sdxl
