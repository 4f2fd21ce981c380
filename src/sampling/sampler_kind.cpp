#include "sampling/sampler_kind.h"

#include "common/error.h"

namespace sdxl {
namespace {

static_assert(table_complete(kSamplerNames, SamplerKind::DPMPP2M), "kSamplerNames must list every SamplerKind in order");
static_assert(table_complete(kSpacingNames, TimestepSpacing::Linspace),
              "kSpacingNames must list every TimestepSpacing in order");

// Names in configs and tests; request fields are parsed with their own usage errors (sdxl/request.h).
template <typename E, size_t N>
E parse(const std::array<EnumName<E>, N>& table, const std::string& text, const std::string& what) {
  if (auto v = find_enum(table, text)) return *v;
  throw Error(what + ": unknown value '" + text + "' (valid: " + enum_names(table) + ")");
}

}  // namespace

const char* to_string(SamplerKind kind) { return kSamplerNames.at(static_cast<size_t>(kind)).name; }
const char* to_string(TimestepSpacing spacing) { return kSpacingNames.at(static_cast<size_t>(spacing)).name; }

SamplerKind parse_sampler(const std::string& text, const std::string& what) { return parse(kSamplerNames, text, what); }
TimestepSpacing parse_timestep_spacing(const std::string& text, const std::string& what) {
  return parse(kSpacingNames, text, what);
}

std::string sampler_names() { return enum_names(kSamplerNames); }
std::string timestep_spacing_names() { return enum_names(kSpacingNames); }

}  // namespace sdxl
