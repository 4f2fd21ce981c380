// Shared access to tests/fixtures/scheduler_golden.json for the sampling tests.
#pragma once
#include <nlohmann/json.hpp>

#include <fstream>
#include <string>
#include <vector>

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

}  // namespace sdxl::test
