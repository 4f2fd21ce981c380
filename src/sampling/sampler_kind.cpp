#include "sampling/sampler_kind.h"

#include "common/error.h"

namespace sdxl {
namespace {

// Table entry i names enum value i, and the table covers the enum up to its last value.
template <typename E, size_t N>
constexpr bool table_complete(const std::array<EnumName<E>, N>& table, E last) {
  for (size_t i = 0; i < N; ++i)
    if (static_cast<size_t>(table[i].value) != i) return false;
  return static_cast<size_t>(last) + 1 == N;
}
static_assert(table_complete(kSamplerNames, SamplerKind::LCM), "kSamplerNames must list every SamplerKind in order");
static_assert(table_complete(kSpacingNames, TimestepSpacing::SgmUniform),
              "kSpacingNames must list every TimestepSpacing in order");
static_assert(table_complete(kPredictionNames, PredictionType::Sample),
              "kPredictionNames must list every PredictionType in order");

template <typename E, size_t N>
std::string joined(const std::array<EnumName<E>, N>& table) {
  std::string out;
  for (const auto& e : table) out += (out.empty() ? "" : ", ") + std::string(e.name);
  return out;
}

template <typename E, size_t N>
E parse(const std::array<EnumName<E>, N>& table, const std::string& text, const std::string& what) {
  for (const auto& e : table)
    if (text == e.name) return e.value;
  throw Error(what + ": unknown value '" + text + "' (valid: " + joined(table) + ")");
}

}  // namespace

const char* to_string(SamplerKind kind) { return kSamplerNames.at(static_cast<size_t>(kind)).name; }
const char* to_string(TimestepSpacing spacing) { return kSpacingNames.at(static_cast<size_t>(spacing)).name; }
const char* to_string(PredictionType type) { return kPredictionNames.at(static_cast<size_t>(type)).name; }

SamplerKind parse_sampler(const std::string& text, const std::string& what) { return parse(kSamplerNames, text, what); }
TimestepSpacing parse_timestep_spacing(const std::string& text, const std::string& what) {
  return parse(kSpacingNames, text, what);
}

PredictionType parse_prediction_type(const std::string& text, const std::string& what) {
  return parse(kPredictionNames, text, what);
}

std::string sampler_names() { return joined(kSamplerNames); }
std::string timestep_spacing_names() { return joined(kSpacingNames); }
std::string prediction_type_names() { return joined(kPredictionNames); }

}  // namespace sdxl
