#include "unet/unet.h"

#include "common/cancellation.h"
#include "common/error.h"

#include <ATen/record_function.h>

#include <algorithm>
#include <optional>
#include <sstream>

namespace sdxl {
namespace {

std::string shape_of(const at::Tensor& t) {
  std::ostringstream o;
  o << t.sizes();
  return o.str();
}

// Hands each attn2 its image-prompt terms for one UNet call and takes them back afterwards (also when the
// call throws), so that a later call without extras runs the plain model.
class ImagePromptBinding {
 public:
  ImagePromptBinding(std::vector<std::shared_ptr<AttentionImpl>> layers, const UNetExtras* extras, int64_t batch)
      : layers_(std::move(layers)) {
    for (const ImagePromptAttention& ip : extras->image_prompts) {
      if (ip.keys.size() != layers_.size() || ip.values.size() != layers_.size())
        throw Error(ErrorCategory::Generation, "", "unet forward: an image prompt has " + std::to_string(ip.keys.size()) + " key/value pairs, the UNet " +
                    std::to_string(layers_.size()) + " cross-attention layers");
      for (size_t i = 0; i < layers_.size(); ++i) {
        if (ip.keys[i].size(0) != batch || ip.values[i].size(0) != batch)
          throw Error(ErrorCategory::Generation, "", "unet forward: image-prompt keys of batch " + std::to_string(ip.keys[i].size(0)) +
                      " for a sample batch of " + std::to_string(batch));
        layers_[i]->image_prompt_terms.push_back({ip.scale, ip.keys[i], ip.values[i]});
      }
    }
  }
  ~ImagePromptBinding() {
    for (auto& layer : layers_) layer->image_prompt_terms.clear();
  }
  ImagePromptBinding(const ImagePromptBinding&) = delete;
  ImagePromptBinding& operator=(const ImagePromptBinding&) = delete;

 private:
  std::vector<std::shared_ptr<AttentionImpl>> layers_;
};

template <typename T>
std::vector<T> reversed(std::vector<T> v) {
  std::reverse(v.begin(), v.end());
  return v;
}

}  // namespace

UNet2DConditionModelImpl::UNet2DConditionModelImpl(const UNetConfig& config, const at::TensorOptions& options)
    : config_(config) {
  const UNetConfig& c = config_;
  const size_t levels = c.levels();
  const int64_t c0 = c.block_out_channels[0];
  conv_in = register_module("conv_in", Conv2d(c.in_channels, c0, c.conv_in_kernel, 1, (c.conv_in_kernel - 1) / 2, options));
  time_embedding = register_module("time_embedding", TimestepEmbedding(c0, c.time_embed_dim, options));
  add_embedding = register_module(
      "add_embedding", TimestepEmbedding(c.projection_class_embeddings_input_dim, c.time_embed_dim, options));

  const BlockSettings s{c.time_embed_dim, c.norm_num_groups, c.norm_eps, c.use_linear_projection,
                        c.cross_attention_dim, options};

  auto down_list = register_module("down_blocks", torch::nn::ModuleList());
  for (size_t i = 0; i < levels; ++i) {
    const int64_t in = i == 0 ? c0 : c.block_out_channels[i - 1];
    const BlockAttention attention{c.down_block_has_attention(i), c.num_attention_heads[i],
                                   c.transformer_layers_per_block[i]};
    down_blocks.emplace_back(in, c.block_out_channels[i], c.layers_per_block[i], attention,
                             /*add_downsample=*/i + 1 < levels, c.downsample_padding, s);
    down_list->push_back(down_blocks.back());
  }

  // The mid block uses the deepest level's head count and transformer depth.
  mid_block = register_module(
      "mid_block", MidBlock(c.block_out_channels.back(),
                            BlockAttention{true, c.num_attention_heads.back(), c.transformer_layers_per_block.back()}, s));

  // Up blocks run from the deepest level back to full resolution (diffusers reverses every per-level list).
  const auto channels = reversed(c.block_out_channels), heads = reversed(c.num_attention_heads),
             layers = reversed(c.layers_per_block), depth = reversed(c.transformer_layers_per_block);
  auto up_list = register_module("up_blocks", torch::nn::ModuleList());
  for (size_t i = 0; i < levels; ++i) {
    const int64_t prev = i == 0 ? channels[0] : channels[i - 1];
    const int64_t skip_in = channels[std::min(i + 1, levels - 1)];
    const BlockAttention attention{c.up_block_has_attention(i), heads[i], depth[i]};
    up_blocks.emplace_back(skip_in, prev, channels[i], layers[i] + 1, attention, /*add_upsample=*/i + 1 < levels, s);
    up_list->push_back(up_blocks.back());
  }

  conv_norm_out = register_module("conv_norm_out", GroupNorm(c.norm_num_groups, c0, c.norm_eps, options));
  conv_out = register_module("conv_out",
                             Conv2d(c0, c.out_channels, c.conv_out_kernel, 1, (c.conv_out_kernel - 1) / 2, options));
  use_channels_last(*this);
}

at::Tensor UNet2DConditionModelImpl::embedding(const at::Tensor& timesteps, const at::Tensor& text_embeds,
                                               const at::Tensor& time_ids, at::ScalarType dtype, Activations* parts) {
  return text_time_embedding(time_embedding, add_embedding, config_, timesteps, text_embeds, time_ids, dtype, parts);
}

void UNet2DConditionModelImpl::check_inputs(const at::Tensor& sample, const at::Tensor& timesteps,
                                            const at::Tensor& context, const at::Tensor& text_embeds,
                                            const at::Tensor& time_ids) const {
  const UNetConfig& c = config_;
  auto fail = [](const std::string& what) { throw Error(ErrorCategory::Input, "", "unet forward: " + what); };
  if (!sample.defined() || sample.dim() != 4 || sample.size(1) != c.in_channels)
    fail("sample must be [B, " + std::to_string(c.in_channels) + ", h, w], got " +
         (sample.defined() ? shape_of(sample) : std::string("undefined")));
  const int64_t batch = sample.size(0);
  if (!timesteps.defined() || (timesteps.numel() != 1 && (timesteps.dim() != 1 || timesteps.size(0) != batch)))
    fail("timesteps must be [" + std::to_string(batch) + "] or a single value, got " +
         (timesteps.defined() ? shape_of(timesteps) : std::string("undefined")));
  if (!context.defined() || context.dim() != 3 || context.size(0) != batch || context.size(2) != c.cross_attention_dim)
    fail("encoder_hidden_states must be [" + std::to_string(batch) + ", L, " + std::to_string(c.cross_attention_dim) +
         "], got " + (context.defined() ? shape_of(context) : std::string("undefined")));
  if (!text_embeds.defined() || text_embeds.dim() != 2 || text_embeds.size(0) != batch)
    fail("text_embeds (pooled) must be [" + std::to_string(batch) + ", P], got " +
         (text_embeds.defined() ? shape_of(text_embeds) : std::string("undefined")));
  if (!time_ids.defined() || time_ids.dim() != 2 || time_ids.size(0) != batch)
    fail("time_ids must be [" + std::to_string(batch) + ", n], got " +
         (time_ids.defined() ? shape_of(time_ids) : std::string("undefined")));
  const int64_t width = text_embeds.size(1) + time_ids.size(1) * c.addition_time_embed_dim;
  if (width != c.projection_class_embeddings_input_dim)
    fail("text_embeds " + shape_of(text_embeds) + " and time_ids " + shape_of(time_ids) + " give " +
         std::to_string(width) + " add-embedding inputs, the config's projection_class_embeddings_input_dim is " +
         std::to_string(c.projection_class_embeddings_input_dim) + " (" + std::to_string(c.addition_time_embed_dim) +
         " per time id; base models take 6 ids, refiners 5)");
}

std::vector<std::shared_ptr<AttentionImpl>> UNet2DConditionModelImpl::cross_attention_layers() {
  std::vector<std::shared_ptr<AttentionImpl>> down, up, mid;
  const std::string suffix = ".attn2";
  for (const auto& item : named_modules("", /*include_self=*/false)) {
    const std::string& name = item.key();
    if (name.size() < suffix.size() || name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) continue;
    auto layer = std::dynamic_pointer_cast<AttentionImpl>(item.value());
    if (!layer) continue;
    (name.rfind("down_blocks.", 0) == 0 ? down : name.rfind("up_blocks.", 0) == 0 ? up : mid).push_back(layer);
  }
  down.insert(down.end(), up.begin(), up.end());
  down.insert(down.end(), mid.begin(), mid.end());
  return down;
}

at::Tensor UNet2DConditionModelImpl::forward(const at::Tensor& sample, const at::Tensor& timesteps,
                                             const at::Tensor& context, const at::Tensor& text_embeds,
                                             const at::Tensor& time_ids, Activations* acts, const UNetExtras* extras) {
  check_inputs(sample, timesteps, context, text_embeds, time_ids);
  const int64_t batch = sample.size(0);
  std::optional<ImagePromptBinding> image_prompts;
  if (extras && !extras->image_prompts.empty()) image_prompts.emplace(cross_attention_layers(), extras, batch);
  at::Tensor t = timesteps.reshape({-1});
  if (t.numel() == 1) t = t.expand({batch});

  at::Tensor emb = embedding(t, text_embeds, time_ids, sample.scalar_type());
  record(acts, "emb", emb);
  const at::Tensor emb_act = at::silu(emb);  // what every ResnetBlock2D's time_emb_proj receives
  record(acts, "silu_emb", emb_act);

  at::Tensor x = conv_in(sample);
  record(acts, "conv_in", x);
  std::vector<at::Tensor> skips{x};
  // T2I-Adapter features, consumed in order (diffusers pops down_intrablock_additional_residuals): inside a
  // cross-attention block after its last resnet/attention pair; after a plain block, added to its output,
  // which is also its last skip (diffusers adds in place to a tensor the skips hold).
  size_t intrablock = 0;
  const auto* adapter = extras && !extras->intrablock_residuals.empty() ? &extras->intrablock_residuals : nullptr;
  for (size_t i = 0; i < down_blocks.size(); ++i) {
    const std::string name = "down_blocks." + std::to_string(i);
    const bool has_attention = !down_blocks[i]->attention_list.empty();
    const at::Tensor residual = adapter && intrablock < adapter->size() ? (*adapter)[intrablock++] : at::Tensor();
    {
      RECORD_USER_SCOPE("unet." + name);  // a block row of `bench --profile` (no cost without an observer)
      x = down_blocks[i](x, emb_act, context, skips, acts, name, has_attention ? residual : at::Tensor());
    }
    if (!has_attention && residual.defined()) {
      x = x + residual;
      skips.back() = x;
    }
    record(acts, name, x);
  }
  // ControlNet: every skip connection gets its residual before the up blocks read them.
  if (extras && !extras->down_residuals.empty()) {
    if (extras->down_residuals.size() != skips.size())
      throw Error(ErrorCategory::Input, "", "unet forward: " + std::to_string(extras->down_residuals.size()) +
                  " control residuals for " + std::to_string(skips.size()) + " skip connections");
    for (size_t i = 0; i < skips.size(); ++i) skips[i] = skips[i] + extras->down_residuals[i];
  }
  cancellation_point();
  {
    RECORD_USER_SCOPE("unet.mid_block");
    x = mid_block(x, emb_act, context, acts, "mid_block");
  }
  // T2I-Adapter-XL: a remaining feature of the mid block's shape is added to its output.
  if (adapter && intrablock < adapter->size() && (*adapter)[intrablock].sizes() == x.sizes())
    x = x + (*adapter)[intrablock++];
  if (extras && extras->mid_residual.defined()) x = x + extras->mid_residual;
  record(acts, "mid_block", x);
  for (size_t i = 0; i < up_blocks.size(); ++i) {
    const std::string name = "up_blocks." + std::to_string(i);
    RECORD_USER_SCOPE("unet." + name);
    x = up_blocks[i](x, emb_act, context, skips, acts, name);
    record(acts, name, x);
  }
  x = conv_norm_out(x);
  record(acts, "conv_norm_out", x);
  return conv_out(at::silu_(x)).contiguous();  // NCHW for the sampler, whatever layout the blocks used
}

}  // namespace sdxl
