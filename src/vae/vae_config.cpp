#include "vae/vae_config.h"

#include "common/config_reader.h"
#include "common/error.h"

namespace sdxl {
namespace {

using json = nlohmann::json;

int64_t positive_int(const config::Reader& r, const char* key, int64_t fallback) {
  const int64_t v = r.integer(key, fallback);
  if (v <= 0) r.fail(key, "must be a positive integer, got " + std::to_string(v));
  return v;
}

}  // namespace

VaeConfig VaeConfig::from_json(const json& j, const std::string& what) {
  config::Reader r(j, what);
  VaeConfig c;
  c.in_channels = positive_int(r, "in_channels", 3);
  c.out_channels = positive_int(r, "out_channels", 3);
  c.latent_channels = positive_int(r, "latent_channels", 4);
  c.layers_per_block = positive_int(r, "layers_per_block", 1);
  c.norm_num_groups = positive_int(r, "norm_num_groups", 32);

  c.block_out_channels = r.integers("block_out_channels");
  for (int64_t b : c.block_out_channels)
    if (b <= 0 || b % c.norm_num_groups != 0)
      r.fail("block_out_channels", "entries must be positive multiples of norm_num_groups (" +
                                       std::to_string(c.norm_num_groups) + "), got " + r.at("block_out_channels").dump());
  // Only the plain encoder/decoder blocks exist in AutoencoderKL checkpoints we support.
  for (const char* key : {"down_block_types", "up_block_types"}) {
    if (!r.has(key)) continue;
    const std::string expected = key[0] == 'd' ? "DownEncoderBlock2D" : "UpDecoderBlock2D";
    const std::vector<std::string> types = r.strings(key);
    if (types.size() != c.block_out_channels.size())
      r.fail(key, "must list one block per block_out_channels entry, got " + r.at(key).dump());
    for (const auto& t : types)
      if (t != expected) r.fail(key, "has unsupported block type \"" + t + "\"");
  }
  if (r.has("act_fn") && r.string("act_fn") != "silu") r.fail("act_fn", "must be \"silu\", got " + r.at("act_fn").dump());

  c.scaling_factor = r.number("scaling_factor");
  if (!(c.scaling_factor > 0)) r.fail("scaling_factor", "must be a positive number, got " + r.at("scaling_factor").dump());
  if (r.has("shift_factor")) c.shift_factor = r.number("shift_factor");
  c.latents_mean = r.numbers_or_null("latents_mean", static_cast<size_t>(c.latent_channels));
  c.latents_std = r.numbers_or_null("latents_std", static_cast<size_t>(c.latent_channels));
  if (c.latents_mean.has_value() != c.latents_std.has_value())
    throw Error(ErrorCategory::Input, "", what + ": fields 'latents_mean' and 'latents_std' must both be set or both be null");
  c.use_quant_conv = r.boolean("use_quant_conv", true);
  c.use_post_quant_conv = r.boolean("use_post_quant_conv", true);
  return c;
}

}  // namespace sdxl
