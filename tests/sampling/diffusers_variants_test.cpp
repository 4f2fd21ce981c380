// Options the fixture goldens do not cover, against diffusers v0.27.2 fed the fixture's alphas_cumprod
// (tests/sampling/data/diffusers_variants.json, made by make_diffusers_variants.py next to it): trailing and
// linspace spacing, Karras sigmas for Euler, v-prediction, DDIM clip_sample, img2img add_noise, and DPM++
// restarting its history mid-schedule.
#include <gtest/gtest.h>

#include "golden_json.h"
#include "sampling/sampler.h"

namespace sdxl {
namespace {

const nlohmann::json& variants() {
  static const nlohmann::json j = [] {
    std::ifstream f(std::string(SDXL_SOURCE_DIR) + "/tests/sampling/data/diffusers_variants.json");
    return nlohmann::json::parse(f);
  }();
  return j;
}

struct Variant {
  SchedulerConfig config;
  bool karras = false;
  std::string name;
};

Variant variant_of(const nlohmann::json& e) {
  Variant v{test::golden_scheduler_config(), false, e.at("sampler").get<std::string>() + " " + e.at("overrides").dump() +
                                                        " steps " + std::to_string(e.at("steps").get<int>())};
  for (const auto& [key, value] : e.at("overrides").items()) {
    if (key == "timestep_spacing") v.config.timestep_spacing = parse_timestep_spacing(value.get<std::string>());
    else if (key == "use_karras_sigmas") v.karras = value.get<bool>();
    else if (key == "prediction_type") v.config.prediction_type = parse_prediction_type(value.get<std::string>());
    else if (key == "clip_sample") v.config.clip_sample = value.get<bool>();
    else ADD_FAILURE() << "unknown override " << key;
  }
  return v;
}

TEST(DiffusersVariants, Schedules) {
  int checked = 0;
  for (const auto& e : variants().at("schedules")) {
    const Variant v = variant_of(e);
    const SamplerKind kind = parse_sampler(e.at("sampler").get<std::string>());
    const Schedule s = make_schedule(kind, e.at("steps").get<int>(), v.config, v.karras);
    const auto want_t = test::doubles(e.at("timesteps"));
    // Euler-family Karras timesteps are fractional log-sigma positions: float32 rounding of the logs moves them.
    const double t_tol = (v.karras && kind != SamplerKind::DPMPP2M) ? 1e-4 : 0.0;
    ASSERT_EQ(s.timesteps.size(), want_t.size()) << v.name;
    for (size_t i = 0; i < want_t.size(); ++i) EXPECT_NEAR(s.timesteps[i], want_t[i], t_tol) << v.name << " t[" << i << "]";
    if (e.contains("sigmas")) {
      const auto want_s = test::doubles(e.at("sigmas"));
      ASSERT_EQ(s.sigmas.size(), want_s.size()) << v.name;
      for (size_t i = 0; i < want_s.size(); ++i)
        EXPECT_NEAR(s.sigmas[i], want_s[i], 2e-7 * want_s[i]) << v.name << " sigma[" << i << "]";
      EXPECT_NEAR(s.init_noise_sigma, e.at("init_noise_sigma").get<double>(), 2e-7 * s.init_noise_sigma) << v.name;
    }
    ++checked;
  }
  EXPECT_EQ(checked, 70);
}

TEST(DiffusersVariants, SamplerRuns) {
  int checked = 0;
  for (const auto& e : variants().at("runs")) {
    const Variant v = variant_of(e);
    test::expect_run_matches(e, make_schedule(parse_sampler(e.at("sampler").get<std::string>()),
                                              e.at("steps").get<int>(), v.config, v.karras),
                             v.name, /*relative=*/false);
    ++checked;
  }
  EXPECT_EQ(checked, 16);  // make_diffusers_variants.py: 4 v-prediction, 4 trailing, 4 img2img, 4 single options
}

}  // namespace
}  // namespace sdxl
