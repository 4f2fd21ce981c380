#include "sampling/sampler_kind.h"

#include "common/error.h"

namespace sdxl {
namespace {

static_assert(table_complete(kSamplerNames, SamplerKind::LCM), "kSamplerNames must list every SamplerKind in order");
static_assert(table_complete(kSpacingNames, TimestepSpacing::SgmUniform),
              "kSpacingNames must list every TimestepSpacing in order");
static_assert(table_complete(kPredictionNames, PredictionType::Sample),
              "kPredictionNames must list every PredictionType in order");

// Names in configs and tests; request fields are parsed with their own usage errors (sdxl/request.h).
template <typename E, size_t N>
E parse(const std::array<EnumName<E>, N>& table, const std::string& text, const std::string& what) {
  if (auto v = find_enum(table, text)) return *v;
  throw Error(ErrorCategory::Input, "", what + ": unknown value '" + text + "' (valid: " + enum_names(table) + ")");
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

std::string sampler_names() { return enum_names(kSamplerNames); }
std::string timestep_spacing_names() { return enum_names(kSpacingNames); }
std::string prediction_type_names() { return enum_names(kPredictionNames); }

}  // namespace sdxl
