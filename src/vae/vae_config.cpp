#include "vae/vae_config.h"

#include "common/error.h"

namespace sdxl {
namespace {

using json = nlohmann::json;

const json& require(const json& j, const char* field, const std::string& what) {
  if (!j.contains(field) || j[field].is_null()) throw Error(what + ": missing field '" + field + "'");
  return j[field];
}

int64_t positive_int(const json& j, const char* field, const std::string& what) {
  const json& v = require(j, field, what);
  if (!v.is_number_integer() || v.get<int64_t>() <= 0)
    throw Error(what + ": field '" + field + "' must be a positive integer, got " + v.dump());
  return v.get<int64_t>();
}

// Optional integer: absent -> fallback (diffusers' constructor default).
int64_t positive_int_or(const json& j, const char* field, int64_t fallback, const std::string& what) {
  if (!j.contains(field) || j[field].is_null()) return fallback;
  return positive_int(j, field, what);
}

std::optional<std::vector<double>> optional_per_channel(const json& j, const char* field, int64_t channels,
                                                        const std::string& what) {
  if (!j.contains(field) || j[field].is_null()) return std::nullopt;
  const json& v = j[field];
  if (!v.is_array() || static_cast<int64_t>(v.size()) != channels)
    throw Error(what + ": field '" + field + "' must be null or a list of " + std::to_string(channels) +
                " numbers, got " + v.dump());
  std::vector<double> out;
  for (const auto& x : v) {
    if (!x.is_number()) throw Error(what + ": field '" + field + "' holds a non-number: " + x.dump());
    out.push_back(x.get<double>());
  }
  return out;
}

bool bool_or(const json& j, const char* field, bool fallback, const std::string& what) {
  if (!j.contains(field) || j[field].is_null()) return fallback;
  if (!j[field].is_boolean())
    throw Error(what + ": field '" + field + "' must be true or false, got " + j[field].dump());
  return j[field].get<bool>();
}

}  // namespace

VaeConfig VaeConfig::from_json(const json& j, const std::string& what) {
  if (!j.is_object()) throw Error(what + ": expected a JSON object");
  VaeConfig c;
  c.in_channels = positive_int_or(j, "in_channels", 3, what);
  c.out_channels = positive_int_or(j, "out_channels", 3, what);
  c.latent_channels = positive_int_or(j, "latent_channels", 4, what);
  c.layers_per_block = positive_int_or(j, "layers_per_block", 1, what);
  c.norm_num_groups = positive_int_or(j, "norm_num_groups", 32, what);

  const json& blocks = require(j, "block_out_channels", what);
  if (!blocks.is_array() || blocks.empty())
    throw Error(what + ": field 'block_out_channels' must be a non-empty list, got " + blocks.dump());
  for (const auto& b : blocks) {
    if (!b.is_number_integer() || b.get<int64_t>() <= 0 || b.get<int64_t>() % c.norm_num_groups != 0)
      throw Error(what + ": field 'block_out_channels' entries must be positive multiples of norm_num_groups (" +
                  std::to_string(c.norm_num_groups) + "), got " + blocks.dump());
    c.block_out_channels.push_back(b.get<int64_t>());
  }
  // Only the plain encoder/decoder blocks exist in AutoencoderKL checkpoints we support.
  for (const char* field : {"down_block_types", "up_block_types"}) {
    if (!j.contains(field) || j[field].is_null()) continue;
    const json& types = j[field];
    const std::string expected = field[0] == 'd' ? "DownEncoderBlock2D" : "UpDecoderBlock2D";
    if (!types.is_array() || types.size() != c.block_out_channels.size())
      throw Error(what + ": field '" + field + "' must list one block per block_out_channels entry, got " +
                  types.dump());
    for (const auto& t : types)
      if (t != expected) throw Error(what + ": field '" + field + "' has unsupported block type " + t.dump());
  }
  if (j.contains("act_fn") && !j["act_fn"].is_null() && j["act_fn"] != "silu")
    throw Error(what + ": field 'act_fn' must be \"silu\", got " + j["act_fn"].dump());

  const json& scale = require(j, "scaling_factor", what);
  if (!scale.is_number() || !(scale.get<double>() > 0))
    throw Error(what + ": field 'scaling_factor' must be a positive number, got " + scale.dump());
  c.scaling_factor = scale.get<double>();
  if (j.contains("shift_factor") && !j["shift_factor"].is_null()) {
    if (!j["shift_factor"].is_number())
      throw Error(what + ": field 'shift_factor' must be null or a number, got " + j["shift_factor"].dump());
    c.shift_factor = j["shift_factor"].get<double>();
  }
  c.latents_mean = optional_per_channel(j, "latents_mean", c.latent_channels, what);
  c.latents_std = optional_per_channel(j, "latents_std", c.latent_channels, what);
  if (c.latents_mean.has_value() != c.latents_std.has_value())
    throw Error(what + ": fields 'latents_mean' and 'latents_std' must both be set or both be null");
  c.use_quant_conv = bool_or(j, "use_quant_conv", true, what);
  c.use_post_quant_conv = bool_or(j, "use_post_quant_conv", true, what);
  return c;
}

}  // namespace sdxl
