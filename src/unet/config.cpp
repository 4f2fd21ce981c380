#include "unet/config.h"

#include "common/config_reader.h"
#include "common/error.h"

#include <algorithm>
#include <optional>

namespace sdxl {
namespace {

using nlohmann::json;

void require_positive(const config::Reader& r, const std::string& key, const std::vector<int64_t>& values) {
  for (int64_t v : values)
    if (v < 1) r.fail(key, "must be positive, got " + std::to_string(v));
}

void require_block_types(const config::Reader& r, const std::string& key, const std::vector<std::string>& types,
                         size_t levels, const std::string& plain, const std::string& cross) {
  if (types.size() != levels)
    r.fail(key, "has " + std::to_string(types.size()) + " entries, expected one per level (" +
                    std::to_string(levels) + ")");
  for (const auto& t : types)
    if (t != plain && t != cross) r.fail(key, "entry \"" + t + "\" is not supported (supported: " + plain + ", " + cross + ")");
}

}  // namespace

UNetConfig UNetConfig::from_json(const json& j, const std::string& what) {
  config::Reader r(j, what);
  UNetConfig c;

  // Settings of UNet2DConditionModel that SDXL does not use: accept only their neutral values.
  r.expect("_class_name", {"UNet2DConditionModel"});
  r.expect("act_fn", {"silu"});
  r.expect("addition_embed_type", {"text_time"});
  if (!r.has("addition_embed_type")) r.fail("addition_embed_type", "must be \"text_time\" (SDXL micro-conditioning)");
  r.expect("attention_type", {"default"});
  r.expect("center_input_sample", {false});
  r.expect("class_embed_type", {nullptr});
  r.expect("class_embeddings_concat", {false});
  r.expect("cross_attention_norm", {nullptr});
  r.expect("dual_cross_attention", {false});
  r.expect("encoder_hid_dim", {nullptr});
  r.expect("encoder_hid_dim_type", {nullptr});
  r.expect("mid_block_only_cross_attention", {nullptr, false});
  r.expect("mid_block_scale_factor", {1});
  r.expect("mid_block_type", {"UNetMidBlock2DCrossAttn"});
  r.expect("num_class_embeds", {nullptr});
  r.expect("resnet_out_scale_factor", {1});
  r.expect("resnet_skip_time_act", {false});
  r.expect("resnet_time_scale_shift", {"default"});
  r.expect("reverse_transformer_layers_per_block", {nullptr});
  r.expect("time_cond_proj_dim", {nullptr});
  r.expect("time_embedding_act_fn", {nullptr});
  r.expect("time_embedding_type", {"positional"});
  r.expect("timestep_post_act", {nullptr});
  // diffusers v0.27 itself rejects num_attention_heads; heads come from attention_head_dim.
  r.expect("num_attention_heads", {nullptr});
  if (r.has("only_cross_attention")) {
    const json& v = r.at("only_cross_attention");
    bool any = v.is_array() ? std::any_of(v.begin(), v.end(), [](const json& e) { return e != false; }) : v != false;
    if (any) r.fail("only_cross_attention", "= " + v.dump() + " is not supported (supported: false)");
  }

  c.in_channels = r.integer("in_channels", 4);
  c.out_channels = r.integer("out_channels", 4);
  require_positive(r, "in_channels", {c.in_channels});
  require_positive(r, "out_channels", {c.out_channels});
  c.block_out_channels = r.integers("block_out_channels");
  require_positive(r, "block_out_channels", c.block_out_channels);
  const size_t levels = c.block_out_channels.size();
  c.down_block_types = r.strings("down_block_types");
  require_block_types(r, "down_block_types", c.down_block_types, levels, "DownBlock2D", "CrossAttnDownBlock2D");
  c.up_block_types = r.strings("up_block_types");
  require_block_types(r, "up_block_types", c.up_block_types, levels, "UpBlock2D", "CrossAttnUpBlock2D");

  c.layers_per_block = r.per_level("layers_per_block", levels, 2);
  require_positive(r, "layers_per_block", c.layers_per_block);
  if (r.has("transformer_layers_per_block") && r.at("transformer_layers_per_block").is_array())
    for (const auto& e : r.at("transformer_layers_per_block"))
      if (e.is_array()) r.fail("transformer_layers_per_block", "nested lists are not supported");
  c.transformer_layers_per_block = r.per_level("transformer_layers_per_block", levels, 1);
  require_positive(r, "transformer_layers_per_block", c.transformer_layers_per_block);
  c.num_attention_heads = r.per_level("attention_head_dim", levels, 8);
  require_positive(r, "attention_head_dim", c.num_attention_heads);
  for (size_t i = 0; i < levels; ++i)
    if (c.block_out_channels[i] % c.num_attention_heads[i] != 0)
      r.fail("attention_head_dim", "= " + std::to_string(c.num_attention_heads[i]) + " heads at level " +
                                       std::to_string(i) + " do not divide " +
                                       std::to_string(c.block_out_channels[i]) + " channels");
  if (r.has("cross_attention_dim") && r.at("cross_attention_dim").is_array())
    r.fail("cross_attention_dim", "per-block lists are not supported");
  c.cross_attention_dim = r.integer("cross_attention_dim");
  require_positive(r, "cross_attention_dim", {c.cross_attention_dim});

  c.norm_num_groups = r.integer("norm_num_groups", 32);
  require_positive(r, "norm_num_groups", {c.norm_num_groups});
  for (int64_t ch : c.block_out_channels)
    if (ch % c.norm_num_groups != 0)
      r.fail("norm_num_groups", "= " + std::to_string(c.norm_num_groups) + " does not divide " + std::to_string(ch) +
                                    " channels");
  c.norm_eps = r.number("norm_eps", 1e-5);
  if (!(c.norm_eps > 0)) r.fail("norm_eps", "must be positive");
  c.use_linear_projection = r.boolean("use_linear_projection", false);
  // Upcasting attention scores to fp32 is a knob of the non-SDPA attention only; nothing here implements
  // it, so a config asking for it is refused rather than silently run without it.
  if (r.boolean("upcast_attention", false)) r.fail("upcast_attention", "= true is not supported (supported: false)");
  c.downsample_padding = r.integer("downsample_padding", 1);
  if (c.downsample_padding < 0) r.fail("downsample_padding", "must be >= 0");
  c.conv_in_kernel = r.integer("conv_in_kernel", 3);
  c.conv_out_kernel = r.integer("conv_out_kernel", 3);
  if (c.conv_in_kernel < 1 || c.conv_in_kernel % 2 == 0) r.fail("conv_in_kernel", "must be a positive odd integer");
  if (c.conv_out_kernel < 1 || c.conv_out_kernel % 2 == 0) r.fail("conv_out_kernel", "must be a positive odd integer");

  c.flip_sin_to_cos = r.boolean("flip_sin_to_cos", true);
  c.freq_shift = r.number("freq_shift", 0.0);
  if (c.block_out_channels[0] / 2 - c.freq_shift == 0) r.fail("freq_shift", "equals half the sinusoid width");
  c.time_embed_dim = r.integer("time_embedding_dim", 4 * c.block_out_channels[0]);
  require_positive(r, "time_embedding_dim", {c.time_embed_dim});
  c.addition_time_embed_dim = r.integer("addition_time_embed_dim");
  require_positive(r, "addition_time_embed_dim", {c.addition_time_embed_dim});
  if (c.addition_time_embed_dim / 2 - c.freq_shift == 0) r.fail("freq_shift", "equals half the time-id sinusoid width");
  c.projection_class_embeddings_input_dim = r.integer("projection_class_embeddings_input_dim");
  require_positive(r, "projection_class_embeddings_input_dim", {c.projection_class_embeddings_input_dim});
  return c;
}

}  // namespace sdxl
