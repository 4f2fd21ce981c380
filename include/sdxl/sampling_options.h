// The sampling options a request names: sampler, timestep spacing and prediction type, each an enum with
// one name table (entry i names value i; the static_asserts in src/sampling/sampler_kind.cpp check order
// and size), so request text <-> enum cannot drift apart.
#pragma once
#include <array>
#include <string>

#include "sdxl/enum_table.h"

namespace sdxl {

// LCM: the consistency-model sampler of Luo et al. 2023 (diffusers LCMScheduler), for LCM-distilled UNets/LoRAs.
enum class SamplerKind { DDIM, Euler, EulerAncestral, DPMPP2M, LCM };
// How inference timesteps are laid over the training timesteps (Lin et al. 2023, "Common Diffusion Noise
// Schedules and Sample Steps are Flawed", table 2; diffusers `timestep_spacing`). SgmUniform is ComfyUI's
// "sgm_uniform" scheduler (comfy/samplers.py, normal_scheduler with sgm=True): fractional timesteps
// linspace(T-1, 0, n+1)[:n] with log-linearly interpolated sigmas, for the Euler family only.
enum class TimestepSpacing { Leading, Trailing, Linspace, SgmUniform };
// What the UNet predicts (diffusers `prediction_type`): the noise, v = alpha*eps - sigma*x0 (Salimans & Ho 2022,
// "Progressive Distillation", sec. 4), or the clean sample x0 itself.
enum class PredictionType { Epsilon, VPrediction, Sample };

inline constexpr std::array<EnumName<SamplerKind>, 5> kSamplerNames{{
    {SamplerKind::DDIM, "ddim"},
    {SamplerKind::Euler, "euler"},
    {SamplerKind::EulerAncestral, "euler_a"},
    {SamplerKind::DPMPP2M, "dpmpp_2m"},
    {SamplerKind::LCM, "lcm"},
}};
inline constexpr std::array<EnumName<TimestepSpacing>, 4> kSpacingNames{{
    {TimestepSpacing::Leading, "leading"},
    {TimestepSpacing::Trailing, "trailing"},
    {TimestepSpacing::Linspace, "linspace"},
    {TimestepSpacing::SgmUniform, "sgm_uniform"},
}};
inline constexpr std::array<EnumName<PredictionType>, 3> kPredictionNames{{
    {PredictionType::Epsilon, "epsilon"},
    {PredictionType::VPrediction, "v_prediction"},
    {PredictionType::Sample, "sample"},
}};

const char* to_string(SamplerKind kind);
const char* to_string(PredictionType type);
const char* to_string(TimestepSpacing spacing);
// Throw sdxl::Error naming `what`, the value and the valid names, e.g.
// "sampler: unknown value 'heun' (valid: ddim, euler, euler_a, dpmpp_2m)".
SamplerKind parse_sampler(const std::string& text, const std::string& what = "sampler");
TimestepSpacing parse_timestep_spacing(const std::string& text, const std::string& what = "timestep_spacing");
PredictionType parse_prediction_type(const std::string& text, const std::string& what = "prediction_type");
// "ddim, euler, euler_a, dpmpp_2m" (for help texts).
std::string sampler_names();
std::string timestep_spacing_names();
std::string prediction_type_names();

}  // namespace sdxl
