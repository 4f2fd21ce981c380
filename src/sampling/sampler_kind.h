// Sampler and timestep-spacing names: one string table per enum, so CLI text <-> enum cannot drift apart.
#pragma once
#include <array>
#include <string>

#include "common/enum_table.h"

namespace sdxl {

enum class SamplerKind { DDIM, Euler, EulerAncestral, DPMPP2M };
// How inference timesteps are laid over the training timesteps (Lin et al. 2023, "Common Diffusion Noise
// Schedules and Sample Steps are Flawed", table 2; diffusers `timestep_spacing`).
enum class TimestepSpacing { Leading, Trailing, Linspace };

// Entry i must describe enum value i; the static_asserts in sampler_kind.cpp check both order and size.
inline constexpr std::array<EnumName<SamplerKind>, 4> kSamplerNames{{
    {SamplerKind::DDIM, "ddim"},
    {SamplerKind::Euler, "euler"},
    {SamplerKind::EulerAncestral, "euler_a"},
    {SamplerKind::DPMPP2M, "dpmpp_2m"},
}};
inline constexpr std::array<EnumName<TimestepSpacing>, 3> kSpacingNames{{
    {TimestepSpacing::Leading, "leading"},
    {TimestepSpacing::Trailing, "trailing"},
    {TimestepSpacing::Linspace, "linspace"},
}};

const char* to_string(SamplerKind kind);
const char* to_string(TimestepSpacing spacing);
// Throw sdxl::Error naming `what`, the value and the valid names, e.g.
// "--sampler: unknown value 'heun' (valid: ddim, euler, euler_a, dpmpp_2m)".
SamplerKind parse_sampler(const std::string& text, const std::string& what = "sampler");
TimestepSpacing parse_timestep_spacing(const std::string& text, const std::string& what = "timestep_spacing");
// "ddim, euler, euler_a, dpmpp_2m" (for help texts).
std::string sampler_names();
std::string timestep_spacing_names();

}  // namespace sdxl
