// Shared access to tests/fixtures/scheduler_golden.json for the sampling tests.
#pragma once
#include <nlohmann/json.hpp>

#include <fstream>
#include <string>
#include <vector>

#include "sampling/sampler.h"
#include "sampling/schedule.h"
#include "test_util.h"

namespace sdxl::test {

inline const nlohmann::json& scheduler_golden() {
  static const nlohmann::json j = [] {
    std::ifstream f(fixture("scheduler_golden.json"));
    return nlohmann::json::parse(f);
  }();
  return j;
}

inline SchedulerConfig golden_scheduler_config() {
  return SchedulerConfig::from_json(scheduler_golden().at("scheduler_config"));
}

// The golden's sampler keys: "dpmpp_2m_karras" = DPM++ 2M with Karras sigmas.
struct GoldenSampler {
  std::string key;
  SamplerKind kind;
  bool karras;
};
inline void PrintTo(const GoldenSampler& s, std::ostream* os) { *os << s.key; }
inline std::vector<GoldenSampler> golden_samplers() {
  return {{"ddim", SamplerKind::DDIM, false},
          {"euler", SamplerKind::Euler, false},
          {"euler_a", SamplerKind::EulerAncestral, false},
          {"dpmpp_2m", SamplerKind::DPMPP2M, false},
          {"dpmpp_2m_karras", SamplerKind::DPMPP2M, true}};
}

inline std::vector<double> doubles(const nlohmann::json& j) { return j.get<std::vector<double>>(); }

// A flat golden list as a float32 tensor of `shape`.
inline at::Tensor golden_tensor(const nlohmann::json& j, at::IntArrayRef shape) {
  const std::vector<float> v = j.get<std::vector<float>>();
  return at::tensor(v, at::kFloat).reshape(shape);
}

// Replays a reference sampler run of the make_*_variants.py protocol: x = randn(seed 4) * init_noise_sigma
// (img2img: add_noise(randn(seed 4), first draw of G) after with_strength), model outputs = successive randn
// from seed 5, step noise G seeded 6; checks the initial sample, every scaled model input and every step.
// `relative`: tolerances scale with the golden's peak (zero-terminal-SNR runs start at sigma 4096).
inline void expect_run_matches(const nlohmann::json& e, Schedule schedule, const std::string& name, bool relative) {
  const auto shape = e.at("shape").get<std::vector<int64_t>>();
  const bool img2img = !e.at("strength").is_null();
  if (img2img) schedule = with_strength(schedule, e.at("strength").get<double>());
  Sampler sampler(schedule);
  NoiseSource initial = NoiseSource::batched(4), model_outputs = NoiseSource::batched(5), g = NoiseSource::batched(6);
  auto scale = [&](const at::Tensor& want) { return relative ? std::max(1.0, want.abs().max().item<double>()) : 1.0; };
  at::Tensor x = initial.randn(shape);
  x = img2img ? sampler.add_noise(x, g.randn(shape)) : x * sampler.init_noise_sigma();
  const at::Tensor x_init = golden_tensor(e.at("initial_sample"), shape);
  EXPECT_TRUE(AllClose(name + " initial_sample", x, x_init, 1e-6 * scale(x_init)));
  ASSERT_EQ(static_cast<size_t>(sampler.num_steps()), e.at("prev_sample").size()) << name;
  for (int i = 0; i < sampler.num_steps(); ++i) {
    const std::string at_step = name + " step " + std::to_string(i) + " ";
    const at::Tensor out = model_outputs.randn(shape);
    EXPECT_TRUE(AllClose(at_step + "scaled_model_input", sampler.scale_model_input(x, i),
                         golden_tensor(e.at("scaled_model_input")[i], shape), 1e-5));
    x = sampler.step(out, i, x, g);
    const at::Tensor want = golden_tensor(e.at("prev_sample")[i], shape);
    EXPECT_TRUE(AllClose(at_step + "prev_sample", x, want, 1e-5 * scale(want)));
  }
}

}  // namespace sdxl::test
