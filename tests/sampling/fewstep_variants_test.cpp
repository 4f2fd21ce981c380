// Few-step samplers and prediction types against diffusers v0.27.2 (tests/sampling/data/fewstep_variants.json,
// made by make_fewstep_variants.py next to it, the reference fed the fixture's betas): LCM, Euler / Euler a
// with trailing spacing at 1/2/4/8 steps, v-prediction with zero-terminal-SNR rescaling and `sample` prediction.
#include <gtest/gtest.h>

#include "golden_json.h"
#include "sampling/train_schedule.h"

namespace sdxl {
namespace {

const nlohmann::json& runs() {
  static const nlohmann::json j = [] {
    std::ifstream f(std::string(SDXL_SOURCE_DIR) + "/tests/sampling/data/fewstep_variants.json");
    return nlohmann::json::parse(f).at("runs");
  }();
  return j;
}

// The fixture config with its betas given explicitly (as the reference got them) plus the run's overrides.
SchedulerConfig config_of(const nlohmann::json& overrides) {
  SchedulerConfig c = test::golden_scheduler_config();
  c.trained_betas = test::doubles(test::scheduler_golden().at("train_schedule").at("betas"));
  for (const auto& [key, value] : overrides.items()) {
    if (key == "timestep_spacing") c.timestep_spacing = parse_timestep_spacing(value.get<std::string>());
    else if (key == "prediction_type") c.prediction_type = parse_prediction_type(value.get<std::string>());
    else if (key == "rescale_betas_zero_snr") c.rescale_betas_zero_snr = value.get<bool>();
    else if (key == "original_inference_steps") c.original_inference_steps = value.get<int>();
    else ADD_FAILURE() << "unknown override " << key;
  }
  return c;
}

TEST(FewStepVariants, SchedulesAndSamplerRunsMatchTheReference) {
  int checked = 0;
  for (const auto& e : runs()) {
    const std::string name = e.at("sampler").get<std::string>() + " " + e.at("overrides").dump() + " steps " +
                             std::to_string(e.at("steps").get<int>()) +
                             (e.at("strength").is_null() ? "" : " strength " + e.at("strength").dump());
    const Schedule schedule = make_schedule(parse_sampler(e.at("sampler").get<std::string>()), e.at("steps").get<int>(),
                                      config_of(e.at("overrides")));
    const auto want_t = test::doubles(e.at("timesteps"));
    ASSERT_EQ(schedule.timesteps.size(), want_t.size()) << name;
    for (size_t i = 0; i < want_t.size(); ++i) EXPECT_EQ(schedule.timesteps[i], want_t[i]) << name << " t[" << i << "]";
    if (e.contains("sigmas")) {
      const auto want_s = test::doubles(e.at("sigmas"));
      ASSERT_EQ(schedule.sigmas.size(), want_s.size()) << name;
      for (size_t i = 0; i < want_s.size(); ++i)
        EXPECT_NEAR(schedule.sigmas[i], want_s[i], 2e-7 * want_s[i]) << name << " sigma[" << i << "]";
    }
    test::expect_run_matches(e, schedule, name, /*relative=*/true);
    ++checked;
  }
  EXPECT_EQ(checked, 27);
}

// Lin et al. 2023: after rescaling, the last training timestep has zero SNR (alphabar exactly 0) and the first
// keeps its alphabar; the Euler family floors it at 2^-24 (sigma 4096), DDIM keeps 0.
TEST(ZeroTerminalSnr, RescaledScheduleEndsInPureNoise) {
  SchedulerConfig c = test::golden_scheduler_config();
  const TrainSchedule plain(c);
  c.rescale_betas_zero_snr = true;
  const TrainSchedule ddim(c), euler(c, /*terminal_floor=*/true);
  EXPECT_EQ(ddim.alphas_cumprod.back(), 0.0f);
  EXPECT_NEAR(ddim.alphas_cumprod.front(), plain.alphas_cumprod.front(), 1e-7);
  EXPECT_EQ(euler.alphas_cumprod.back(), std::ldexp(1.0f, -24));
  EXPECT_FLOAT_EQ(euler.sigmas.back(), 4096.0f);
}

// ComfyUI's sgm_uniform (no reference package pinned here; tests/cited/make_cited_values.py ports its
// normal_scheduler(sgm=True) and ModelSamplingDiscrete): linspace(999, 0, n+1)[:n] in float32, sigmas
// log-linear between training timesteps; one step is trailing's; only the Euler family takes it. ComfyUI derives
// its training sigmas in float64 (stored as float32), the engine from diffusers' float32 alphas_cumprod: sigmas
// agree to 2e-6 relative.
TEST(SgmUniform, ComfyUiTimestepsAndLogLinearSigmas) {
  const SchedulerConfig c = test::golden_scheduler_config();
  const TrainSchedule train(c);
  const nlohmann::json cited =
      test::read_json(std::string(SDXL_SOURCE_DIR) + "/tests/cited/cited_values.json").at("sgm_uniform");
  ASSERT_EQ(cited.size(), 4u);
  for (const auto& [n, want] : cited.items()) {
    const Schedule s = make_schedule(SamplerKind::Euler, std::stoi(n), c, false, TimestepSpacing::SgmUniform);
    EXPECT_EQ(s.timesteps, want.at("timesteps").get<std::vector<double>>()) << n << " steps";
    const auto sigmas = want.at("sigmas").get<std::vector<double>>();
    ASSERT_EQ(s.sigmas.size(), sigmas.size()) << n << " steps";
    for (size_t i = 0; i < sigmas.size(); ++i)
      EXPECT_NEAR(s.sigmas[i], sigmas[i], 2e-6 * sigmas[i]) << n << " steps, sigma " << i;
  }
  const Schedule s = make_schedule(SamplerKind::Euler, 4, c, false, TimestepSpacing::SgmUniform);
  EXPECT_FLOAT_EQ(s.init_noise_sigma, train.sigmas[999]);  // k-diffusion: noise * sigma_max
  const Schedule one = make_schedule(SamplerKind::EulerAncestral, 1, c, false, TimestepSpacing::SgmUniform);
  const Schedule trailing = make_schedule(SamplerKind::EulerAncestral, 1, c, false, TimestepSpacing::Trailing);
  EXPECT_EQ(one.timesteps, trailing.timesteps);
  EXPECT_FLOAT_EQ(one.sigmas[0], trailing.sigmas[0]);  // exp(log(sigma)): within an ulp or two
  EXPECT_THROW(make_schedule(SamplerKind::DDIM, 4, c, false, TimestepSpacing::SgmUniform), Error);
}

TEST(PredictionTypes, SampleIsRefusedByEulerAncestralAsInTheReference) {
  SchedulerConfig c = test::golden_scheduler_config();
  c.prediction_type = PredictionType::Sample;
  EXPECT_THROW(make_schedule(SamplerKind::EulerAncestral, 4, c), Error);
  EXPECT_NO_THROW(make_schedule(SamplerKind::LCM, 4, c));
}

TEST(LcmSchedule, RefusesMoreStepsThanTheDistillationSchedule) {
  SchedulerConfig c = test::golden_scheduler_config();
  EXPECT_THROW(make_schedule(SamplerKind::LCM, 51, c), Error);
  EXPECT_THROW(make_schedule(SamplerKind::LCM, 4, c, /*karras=*/true), Error);
}

}  // namespace
}  // namespace sdxl
