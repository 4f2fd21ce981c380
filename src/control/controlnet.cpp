#include "control/controlnet.h"

#include "common/config_reader.h"
#include "common/error.h"

namespace sdxl {

ControlNetConfig ControlNetConfig::from_json(const nlohmann::json& j, const std::string& what) {
  config::Reader r(j, what);
  r.expect("_class_name", {"ControlNetModel"});
  r.expect("controlnet_conditioning_channel_order", {"rgb"});
  ControlNetConfig c;
  c.conditioning_channels = r.integer("conditioning_channels", 3);
  if (r.has("conditioning_embedding_out_channels"))
    c.conditioning_embedding_out_channels = r.integers("conditioning_embedding_out_channels");
  c.global_pool_conditions = r.boolean("global_pool_conditions", false);
  // The encoder's fields are a UNet2DConditionModel's; diffusers' ControlNetModel config has no decoder, so
  // the up blocks (never built here) mirror the down blocks to satisfy the UNet reader.
  nlohmann::json u = j;
  u["_class_name"] = "UNet2DConditionModel";
  nlohmann::json up = nlohmann::json::array();
  if (u.contains("down_block_types") && u["down_block_types"].is_array())
    for (auto it = u["down_block_types"].rbegin(); it != u["down_block_types"].rend(); ++it)
      up.push_back(*it == "CrossAttnDownBlock2D" ? "CrossAttnUpBlock2D" : "UpBlock2D");
  u["up_block_types"] = up;
  for (const char* key : {"conditioning_channels", "conditioning_embedding_out_channels", "global_pool_conditions",
                          "controlnet_conditioning_channel_order", "addition_embed_type_num_heads"})
    u.erase(key);
  c.unet = UNetConfig::from_json(u, what);
  if (c.conditioning_embedding_out_channels.empty())
    r.fail("conditioning_embedding_out_channels", "must list at least one width");
  return c;
}

ControlNetConditioningEmbeddingImpl::ControlNetConditioningEmbeddingImpl(int64_t embedding_channels,
                                                                         int64_t conditioning_channels,
                                                                         const std::vector<int64_t>& widths,
                                                                         const at::TensorOptions& options) {
  conv_in = register_module("conv_in", Conv2d(conditioning_channels, widths[0], 3, 1, 1, options));
  auto list = register_module("blocks", torch::nn::ModuleList());
  for (size_t i = 0; i + 1 < widths.size(); ++i) {
    blocks.emplace_back(widths[i], widths[i], 3, 1, 1, options);
    list->push_back(blocks.back());
    blocks.emplace_back(widths[i], widths[i + 1], 3, 2, 1, options);
    list->push_back(blocks.back());
  }
  conv_out = register_module("conv_out", Conv2d(widths.back(), embedding_channels, 3, 1, 1, options));
}

at::Tensor ControlNetConditioningEmbeddingImpl::forward(const at::Tensor& conditioning) {
  at::Tensor x = conv_in(conditioning);
  at::silu_(x);
  for (auto& block : blocks) {
    x = block(x);
    at::silu_(x);
  }
  return conv_out(x);
}

ControlNetModelImpl::ControlNetModelImpl(const ControlNetConfig& config, const at::TensorOptions& options)
    : config_(config) {
  const UNetConfig& c = config_.unet;
  const size_t levels = c.levels();
  const int64_t c0 = c.block_out_channels[0];
  conv_in = register_module("conv_in", Conv2d(c.in_channels, c0, c.conv_in_kernel, 1, (c.conv_in_kernel - 1) / 2, options));
  time_embedding = register_module("time_embedding", TimestepEmbedding(c0, c.time_embed_dim, options));
  add_embedding = register_module(
      "add_embedding", TimestepEmbedding(c.projection_class_embeddings_input_dim, c.time_embed_dim, options));
  controlnet_cond_embedding = register_module(
      "controlnet_cond_embedding",
      ControlNetConditioningEmbedding(c0, config_.conditioning_channels, config_.conditioning_embedding_out_channels,
                                      options));

  const BlockSettings s{c.time_embed_dim, c.norm_num_groups, c.norm_eps, c.use_linear_projection,
                        c.cross_attention_dim, options};
  auto down_list = register_module("down_blocks", torch::nn::ModuleList());
  auto zero_list = register_module("controlnet_down_blocks", torch::nn::ModuleList());
  auto zero_conv = [&](int64_t channels) {
    controlnet_down_blocks.emplace_back(channels, channels, 1, 1, 0, options);
    zero_list->push_back(controlnet_down_blocks.back());
  };
  zero_conv(c0);  // conv_in's skip
  for (size_t i = 0; i < levels; ++i) {
    const int64_t in = i == 0 ? c0 : c.block_out_channels[i - 1];
    const BlockAttention attention{c.down_block_has_attention(i), c.num_attention_heads[i],
                                   c.transformer_layers_per_block[i]};
    const bool downsample = i + 1 < levels;
    down_blocks.emplace_back(in, c.block_out_channels[i], c.layers_per_block[i], attention, downsample,
                             c.downsample_padding, s);
    down_list->push_back(down_blocks.back());
    for (int64_t l = 0; l < c.layers_per_block[i] + (downsample ? 1 : 0); ++l) zero_conv(c.block_out_channels[i]);
  }
  mid_block = register_module(
      "mid_block", MidBlock(c.block_out_channels.back(),
                            BlockAttention{true, c.num_attention_heads.back(), c.transformer_layers_per_block.back()}, s));
  controlnet_mid_block = register_module(
      "controlnet_mid_block", Conv2d(c.block_out_channels.back(), c.block_out_channels.back(), 1, 1, 0, options));
}

ControlNetOutput ControlNetModelImpl::forward(const at::Tensor& sample, const at::Tensor& timesteps,
                                              const at::Tensor& context, const at::Tensor& text_embeds,
                                              const at::Tensor& time_ids, const at::Tensor& cond, double scale,
                                              bool guess_mode) {
  const UNetConfig& c = config_.unet;
  if (cond.dim() != 4 || cond.size(0) != sample.size(0) || cond.size(1) != config_.conditioning_channels ||
      cond.size(2) != sample.size(2) * 8 || cond.size(3) != sample.size(3) * 8)
    throw Error(ErrorCategory::Input, "", "controlnet forward: control image " + std::string(c10::str(cond.sizes())) + " does not fit latents " +
                std::string(c10::str(sample.sizes())));
  at::Tensor t = timesteps.reshape({-1});
  if (t.numel() == 1) t = t.expand({sample.size(0)});
  const at::Tensor emb = text_time_embedding(time_embedding, add_embedding, c, t, text_embeds, time_ids,
                                             sample.scalar_type());
  const at::Tensor emb_act = at::silu(emb);
  at::Tensor x = conv_in(sample) + controlnet_cond_embedding(cond.to(sample.scalar_type()));
  std::vector<at::Tensor> skips{x};
  for (size_t i = 0; i < down_blocks.size(); ++i) x = down_blocks[i](x, emb_act, context, skips, nullptr, "");
  x = mid_block(x, emb_act, context, nullptr, "");

  ControlNetOutput out;
  for (size_t i = 0; i < skips.size(); ++i) out.down.push_back(controlnet_down_blocks[i](skips[i]));
  out.mid = controlnet_mid_block(x);
  if (guess_mode && !config_.global_pool_conditions) {
    // torch.logspace(-1, 0, n + 1) in float32, times the scale, then each residual times its weight.
    const at::Tensor w = at::logspace(-1, 0, static_cast<int64_t>(out.down.size()) + 1,
                                      10.0, at::TensorOptions().dtype(at::kFloat)) * scale;
    for (size_t i = 0; i < out.down.size(); ++i) out.down[i] = out.down[i] * w[i].to(sample.device());
    out.mid = out.mid * w[-1].to(sample.device());
  } else {
    for (auto& d : out.down) d = d * scale;
    out.mid = out.mid * scale;
  }
  if (config_.global_pool_conditions) {
    for (auto& d : out.down) d = d.mean({2, 3}, true);
    out.mid = out.mid.mean({2, 3}, true);
  }
  return out;
}

}  // namespace sdxl
