// Every schedules[sampler][n] entry of scheduler_golden.json: timesteps exact, sigmas / alphas / init_noise_sigma
// bit-exact float32, Euler-a sigma_up / sigma_down, img2img strengths and the base/refiner split at 0.8.
#include <gtest/gtest.h>

#include "golden_json.h"
#include "sampling/sampler.h"
#include "sampling/train_schedule.h"

namespace sdxl {
namespace {

using test::doubles;

std::string where(const std::string& key, const std::string& n, const std::string& field) {
  return key + "[" + n + "]." + field;
}

// Lists equal up to `rel` (0: bit-exact float32 values).
::testing::AssertionResult ListsMatch(const std::string& name, const std::vector<double>& got,
                                      const std::vector<double>& want, double rel = 0.0) {
  if (got.size() != want.size())
    return ::testing::AssertionFailure() << name << ": " << got.size() << " values, golden has " << want.size();
  for (size_t i = 0; i < got.size(); ++i) {
    const double tol = rel * std::max(1e-30, std::abs(want[i]));
    if (!(std::abs(got[i] - want[i]) <= tol))
      return ::testing::AssertionFailure() << name << "[" << i << "] = " << got[i] << ", golden " << want[i];
  }
  return ::testing::AssertionSuccess();
}

TEST(TrainSchedule, MatchesGoldenBitExactly) {
  const auto& g = test::scheduler_golden().at("train_schedule");
  const TrainSchedule train(test::golden_scheduler_config());
  auto as_double = [](const std::vector<float>& v) { return std::vector<double>(v.begin(), v.end()); };
  EXPECT_TRUE(ListsMatch("betas", as_double(train.betas), doubles(g.at("betas"))));
  EXPECT_TRUE(ListsMatch("alphas_cumprod", as_double(train.alphas_cumprod), doubles(g.at("alphas_cumprod"))));
  EXPECT_TRUE(ListsMatch("sigmas_train", as_double(train.sigmas), doubles(g.at("sigmas_train"))));
  EXPECT_EQ(static_cast<double>(train.final_alpha_cumprod), g.at("final_alpha_cumprod_ddim").get<double>());
}

TEST(ScheduleGolden, EveryEntryMatches) {
  const auto config = test::golden_scheduler_config();
  int checked = 0;
  for (const auto& gs : test::golden_samplers()) {
    for (const auto& [n_text, e] : test::scheduler_golden().at("schedules").at(gs.key).items()) {
      const int n = std::stoi(n_text);
      const Schedule s = make_schedule(gs.kind, n, config, gs.karras);
      EXPECT_TRUE(ListsMatch(where(gs.key, n_text, "timesteps"), s.timesteps, doubles(e.at("timesteps"))));
      EXPECT_EQ(s.init_noise_sigma, e.at("init_noise_sigma").get<double>()) << where(gs.key, n_text, "init_noise_sigma");
      if (e.contains("sigmas"))
        EXPECT_TRUE(ListsMatch(where(gs.key, n_text, "sigmas"), s.sigmas, doubles(e.at("sigmas"))));
      if (gs.kind == SamplerKind::DDIM) {
        EXPECT_EQ(s.step_ratio, e.at("step_ratio").get<int64_t>());
        EXPECT_EQ(s.prev_timesteps, e.at("prev_timestep").get<std::vector<int64_t>>()) << where(gs.key, n_text, "prev");
        EXPECT_TRUE(ListsMatch(where(gs.key, n_text, "alpha_prod_t"), s.alpha_prod_t, doubles(e.at("alpha_prod_t"))));
        EXPECT_TRUE(ListsMatch(where(gs.key, n_text, "alpha_prod_t_prev"), s.alpha_prod_t_prev,
                               doubles(e.at("alpha_prod_t_prev"))));
      }
      if (gs.kind == SamplerKind::EulerAncestral) {
        std::vector<double> up, down;
        for (int i = 0; i < n; ++i) {
          const auto a = ancestral_sigmas(static_cast<float>(s.sigmas[i]), static_cast<float>(s.sigmas[i + 1]));
          up.push_back(a.up);
          down.push_back(a.down);
        }
        EXPECT_TRUE(ListsMatch(where(gs.key, n_text, "sigma_up"), up, doubles(e.at("sigma_up"))));
        EXPECT_TRUE(ListsMatch(where(gs.key, n_text, "sigma_down"), down, doubles(e.at("sigma_down"))));
      }
      ++checked;
    }
  }
  EXPECT_EQ(checked, 5 * 11);
}

TEST(ScheduleGolden, Img2ImgStrengths) {
  const auto config = test::golden_scheduler_config();
  for (const auto& gs : test::golden_samplers()) {
    for (const auto& [n_text, e] : test::scheduler_golden().at("schedules").at(gs.key).items()) {
      const Schedule full = make_schedule(gs.kind, std::stoi(n_text), config, gs.karras);
      for (const auto& [strength, want] : e.at("img2img").items()) {
        const Schedule s = with_strength(full, std::stod(strength));
        const std::string name = where(gs.key, n_text, "img2img[" + strength + "]");
        EXPECT_TRUE(ListsMatch(name, s.active_timesteps(), doubles(want.at("timesteps"))));
        EXPECT_EQ(s.size(), want.at("num_inference_steps").get<int>()) << name;
        if (want.at("latent_timestep").is_null()) {
          EXPECT_TRUE(s.empty()) << name;
        } else {
          EXPECT_EQ(Sampler(s).timestep(0).item<double>(), want.at("latent_timestep").at(0).get<double>()) << name;
        }
      }
    }
  }
}

TEST(ScheduleGolden, BaseRefinerSplit) {
  const auto config = test::golden_scheduler_config();
  for (const auto& gs : test::golden_samplers()) {
    for (const auto& [n_text, e] : test::scheduler_golden().at("schedules").at(gs.key).items()) {
      const Schedule full = make_schedule(gs.kind, std::stoi(n_text), config, gs.karras);
      const auto& split = e.at("split_0.8");
      const Schedule base = with_denoising_end(full, 0.8);
      const std::string bname = where(gs.key, n_text, "split_0.8.base");
      EXPECT_TRUE(ListsMatch(bname, base.active_timesteps(), doubles(split.at("base_denoising_end").at("timesteps"))));
      EXPECT_EQ(base.size(), split.at("base_denoising_end").at("num_inference_steps").get<int>()) << bname;
      const Schedule refiner = with_denoising_start(full, 0.8);
      const std::string rname = where(gs.key, n_text, "split_0.8.refiner");
      EXPECT_TRUE(
          ListsMatch(rname, refiner.active_timesteps(), doubles(split.at("refiner_denoising_start").at("timesteps"))));
    }
  }
}

// Python's timesteps[-0:] keeps everything: DPM++ at 1 step has t = 501 >= 200, so the refiner runs it.
TEST(ScheduleGolden, DenoisingStartZeroKeepsAllSteps) {
  const Schedule s = with_denoising_start(make_schedule(SamplerKind::DPMPP2M, 1, test::golden_scheduler_config()), 0.8);
  EXPECT_EQ(s.size(), 1);
  EXPECT_EQ(s.timestep(0), 501.0);
}

}  // namespace
}  // namespace sdxl

namespace sdxl {
namespace {

TEST(TrainSchedule, LinearTrainedBetasAndAlphaToOne) {
  SchedulerConfig c;
  c.beta_schedule = BetaSchedule::Linear;
  c.set_alpha_to_one = true;
  const TrainSchedule linear(c);
  EXPECT_EQ(linear.betas, torch_linspace_f32(c.beta_start, c.beta_end, 1000));
  EXPECT_EQ(linear.final_alpha_cumprod, 1.0f);
  c.num_train_timesteps = 4;
  c.trained_betas = {0.1, 0.2, 0.3, 0.4};
  const TrainSchedule trained(c);
  EXPECT_EQ(trained.betas, (std::vector<float>{0.1f, 0.2f, 0.3f, 0.4f}));
  EXPECT_FLOAT_EQ(trained.alphas_cumprod[3], 0.9f * 0.8f * 0.7f * 0.6f);
}

// Our emulation and libtorch 2.11's linspace differ at most in the last bit.
TEST(TrainSchedule, LinspaceWithinOneUlpOfLibtorch) {
  const std::vector<float> ours = torch_linspace_f32(std::sqrt(0.00085), std::sqrt(0.012), 1000);
  const at::Tensor theirs = at::linspace(std::sqrt(0.00085), std::sqrt(0.012), 1000, at::kFloat);
  for (int i = 0; i < 1000; ++i) {
    const float t = theirs[i].item<float>();
    EXPECT_LE(std::abs(ours[i] - t), std::nextafter(t, 1.0f) - t) << "index " << i;
  }
}

}  // namespace
}  // namespace sdxl
