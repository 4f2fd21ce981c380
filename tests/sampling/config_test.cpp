// SchedulerConfig parsing (SDXL defaults, errors naming the key) and the sampler / spacing name tables.
#include <gtest/gtest.h>

#include "common/error.h"
#include "sampling/scheduler_config.h"
#include "test_util.h"

namespace sdxl {
namespace {

using test::error_of;

TEST(SchedulerConfig, ReadsFixtureSchedulerConfig) {
  const auto c = SchedulerConfig::from_file(test::fixture("tiny-sdxl/scheduler/scheduler_config.json"));
  EXPECT_EQ(c.num_train_timesteps, 1000);
  EXPECT_DOUBLE_EQ(c.beta_start, 0.00085);
  EXPECT_DOUBLE_EQ(c.beta_end, 0.012);
  EXPECT_EQ(c.beta_schedule, BetaSchedule::ScaledLinear);
  EXPECT_EQ(c.prediction_type, PredictionType::Epsilon);
  EXPECT_EQ(c.timestep_spacing, TimestepSpacing::Leading);
  EXPECT_EQ(c.steps_offset, 1);
  EXPECT_FALSE(c.set_alpha_to_one);
  EXPECT_FALSE(c.use_karras_sigmas);
}

TEST(SchedulerConfig, EmptyObjectGivesSdxlDefaults) {
  const auto c = SchedulerConfig::from_json(nlohmann::json::object());
  EXPECT_EQ(c.num_train_timesteps, 1000);
  EXPECT_EQ(c.steps_offset, 1);
  EXPECT_EQ(c.timestep_spacing, TimestepSpacing::Leading);
  EXPECT_EQ(c.beta_schedule, BetaSchedule::ScaledLinear);
}

TEST(SchedulerConfig, ParsesAlternatives) {
  const auto c = SchedulerConfig::from_json({{"beta_schedule", "linear"},
                                             {"prediction_type", "v_prediction"},
                                             {"timestep_spacing", "trailing"},
                                             {"steps_offset", 0},
                                             {"sigma_min", 0.1},
                                             {"sigma_max", nullptr}});
  EXPECT_EQ(c.beta_schedule, BetaSchedule::Linear);
  EXPECT_EQ(c.prediction_type, PredictionType::VPrediction);
  EXPECT_EQ(c.timestep_spacing, TimestepSpacing::Trailing);
  EXPECT_EQ(c.steps_offset, 0);
  EXPECT_EQ(c.sigma_min, 0.1);
  EXPECT_FALSE(c.sigma_max.has_value());
}

TEST(SchedulerConfig, RejectsUnsupportedValuesNamingTheKey) {
  using json = nlohmann::json;
  EXPECT_EQ(error_of([] { SchedulerConfig::from_json(json{{"prediction_type", "flow"}}, "sched.json"); }),
            "sched.json: prediction_type: unknown value 'flow' (valid: epsilon, v_prediction, sample)");
  EXPECT_NE(error_of([] { SchedulerConfig::from_json(json{{"beta_schedule", "squaredcos_cap_v2"}}); })
                .find("squaredcos_cap_v2"),
            std::string::npos);
  EXPECT_NE(error_of([] { SchedulerConfig::from_json(json{{"timestep_spacing", "even"}}); }).find("'even'"),
            std::string::npos);
  EXPECT_THROW(SchedulerConfig::from_json(json{{"thresholding", true}}), Error);
  EXPECT_THROW(SchedulerConfig::from_json(json{{"rescale_betas_zero_snr", "yes"}}), Error);
  EXPECT_THROW(SchedulerConfig::from_json(json{{"original_inference_steps", 0}}), Error);
  EXPECT_THROW(SchedulerConfig::from_json(json{{"interpolation_type", "log_linear"}}), Error);
  EXPECT_THROW(SchedulerConfig::from_json(json{{"num_train_timesteps", "1000"}}), Error);
  EXPECT_THROW(SchedulerConfig::from_json(json{{"beta_end", 1.5}}), Error);
  EXPECT_THROW(SchedulerConfig::from_json(json::array()), Error);
  EXPECT_THROW(SchedulerConfig::from_file("/nonexistent/scheduler_config.json"), std::exception);
}

// A folder's scheduler class picks the default sampler; its few-step settings are read.
TEST(SchedulerConfig, ReadsTheSchedulerClassAndFewStepKeys) {
  using json = nlohmann::json;
  const SchedulerConfig turbo = SchedulerConfig::from_json(
      json{{"_class_name", "EulerAncestralDiscreteScheduler"}, {"timestep_spacing", "trailing"}});
  EXPECT_EQ(turbo.sampler, SamplerKind::EulerAncestral);
  EXPECT_EQ(turbo.timestep_spacing, TimestepSpacing::Trailing);
  const SchedulerConfig lcm = SchedulerConfig::from_json(
      json{{"_class_name", "LCMScheduler"}, {"original_inference_steps", 25}, {"timestep_scaling", 5.0}});
  EXPECT_EQ(lcm.sampler, SamplerKind::LCM);
  EXPECT_EQ(lcm.original_inference_steps, 25);
  EXPECT_EQ(lcm.timestep_scaling, 5.0);
  const SchedulerConfig vz = SchedulerConfig::from_json(
      json{{"_class_name", "PNDMScheduler"}, {"prediction_type", "v_prediction"}, {"rescale_betas_zero_snr", true}});
  EXPECT_FALSE(vz.sampler.has_value());
  EXPECT_EQ(vz.prediction_type, PredictionType::VPrediction);
  EXPECT_TRUE(vz.rescale_betas_zero_snr);
}

TEST(SamplerNames, RoundTripEveryEntry) {
  for (const auto& e : kSamplerNames) {
    EXPECT_EQ(parse_sampler(e.name), e.value);
    EXPECT_STREQ(to_string(e.value), e.name);
  }
  for (const auto& e : kSpacingNames) {
    EXPECT_EQ(parse_timestep_spacing(e.name), e.value);
    EXPECT_STREQ(to_string(e.value), e.name);
  }
  for (const auto& e : kPredictionNames) {
    EXPECT_EQ(parse_prediction_type(e.name), e.value);
    EXPECT_STREQ(to_string(e.value), e.name);
  }
  EXPECT_EQ(sampler_names(), "ddim, euler, euler_a, dpmpp_2m, lcm");
  EXPECT_EQ(timestep_spacing_names(), "leading, trailing, linspace, sgm_uniform");
}

TEST(SamplerNames, UnknownNameListsValidOnes) {
  const std::string msg = error_of([] { parse_sampler("heun", "--sampler"); });
  EXPECT_EQ(msg, "--sampler: unknown value 'heun' (valid: ddim, euler, euler_a, dpmpp_2m, lcm)");
  EXPECT_THROW(parse_sampler("Euler"), Error);  // names are case-sensitive
  EXPECT_THROW(parse_timestep_spacing(""), Error);
}

}  // namespace
}  // namespace sdxl
