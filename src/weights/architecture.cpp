#include "weights/architecture.h"

#include "common/error.h"
#include "common/config_reader.h"

#include <algorithm>

namespace sdxl {

const std::vector<std::string> kComponents = {"unet", "vae", "text_encoder", "text_encoder_2"};

namespace {

// Appends the parameters of the basic layers under a name prefix (which ends in '.').
struct ShapeBuilder {
  ShapeMap& out;
  void linear(const std::string& p, int64_t out_f, int64_t in_f, bool bias = true) {
    out[p + "weight"] = {out_f, in_f};
    if (bias) out[p + "bias"] = {out_f};
  }
  void conv(const std::string& p, int64_t out_c, int64_t in_c, int64_t k) {
    out[p + "weight"] = {out_c, in_c, k, k};
    out[p + "bias"] = {out_c};
  }
  void norm(const std::string& p, int64_t c) {  // GroupNorm / LayerNorm with affine weight and bias
    out[p + "weight"] = {c};
    out[p + "bias"] = {c};
  }
};

// Rejects config values that change the set of tensors in ways sdxl-gen does not build (null = not set).
void require_value(const config::Reader& r, const std::string& key, std::initializer_list<nlohmann::json> allowed) {
  if (r.has(key)) r.expect(key, allowed);
}

const std::string kUnetWhat = "unet config";
const std::string kVaeWhat = "vae config";

// diffusers ResnetBlock2D: GroupNorm, 3x3 conv, time projection, GroupNorm, 3x3 conv, 1x1 shortcut when the
// width changes. `temb` = 0 for the VAE's resnets (no time embedding).
void resnet(ShapeBuilder& b, const std::string& p, int64_t in, int64_t out, int64_t temb) {
  b.norm(p + "norm1.", in);
  b.conv(p + "conv1.", out, in, 3);
  if (temb > 0) b.linear(p + "time_emb_proj.", out, temb);
  b.norm(p + "norm2.", out);
  b.conv(p + "conv2.", out, out, 3);
  if (in != out) b.conv(p + "conv_shortcut.", out, in, 1);
}

// diffusers Transformer2DModel with BasicTransformerBlock (self-attention, cross-attention, GEGLU
// feed-forward with inner width 4C); q/k/v have no bias. proj_in/out are Linear when use_linear_projection.
void transformer(ShapeBuilder& b, const std::string& p, int64_t c, int64_t depth, int64_t cross, bool linear_proj) {
  b.norm(p + "norm.", c);
  auto proj = [&](const std::string& name) {
    if (linear_proj)
      b.linear(p + name, c, c);
    else
      b.conv(p + name, c, c, 1);
  };
  proj("proj_in.");
  for (int64_t k = 0; k < depth; ++k) {
    const std::string t = p + "transformer_blocks." + std::to_string(k) + ".";
    for (const char* attn : {"attn1.", "attn2."}) {
      const int64_t kv = std::string(attn) == "attn1." ? c : cross;
      b.linear(t + attn + "to_q.", c, c, false);
      b.linear(t + attn + "to_k.", c, kv, false);
      b.linear(t + attn + "to_v.", c, kv, false);
      b.linear(t + attn + "to_out.0.", c, c);
    }
    b.norm(t + "norm1.", c);
    b.norm(t + "norm2.", c);
    b.norm(t + "norm3.", c);
    b.linear(t + "ff.net.0.proj.", 8 * c, c);  // GEGLU: value and gate halves of 4C each
    b.linear(t + "ff.net.2.", c, 4 * c);
  }
  proj("proj_out.");
}

// diffusers Attention as used by the VAE mid block: one head, GroupNorm, biased q/k/v/out projections.
void vae_attention(ShapeBuilder& b, const std::string& p, int64_t c) {
  b.norm(p + "group_norm.", c);
  for (const char* name : {"to_q.", "to_k.", "to_v.", "to_out.0."}) b.linear(p + name, c, c);
}

ShapeMap unet_tensors(const nlohmann::json& cfg) {
  const config::Reader r(cfg, kUnetWhat);
  require_value(r, "class_embed_type", {nullptr});
  require_value(r, "encoder_hid_dim_type", {nullptr});
  require_value(r, "time_cond_proj_dim", {nullptr});
  require_value(r, "resnet_time_scale_shift", {"default"});
  require_value(r, "attention_type", {"default"});
  require_value(r, "time_embedding_type", {"positional"});
  require_value(r, "addition_embed_type", {"text_time"});
  require_value(r, "dual_cross_attention", {false});
  require_value(r, "only_cross_attention", {false});

  const UnetStructure s = unet_structure(cfg);
  const int64_t c0 = s.channels.front(), clast = s.channels.back();
  const int64_t temb = r.integer("time_embedding_dim", 4 * c0);
  const int64_t cross = r.integer("cross_attention_dim", 1280);
  const bool linear_proj = r.boolean("use_linear_projection", false);
  const int64_t k_in = r.integer("conv_in_kernel", 3), k_out = r.integer("conv_out_kernel", 3);

  ShapeMap out;
  ShapeBuilder b{out};
  b.conv("conv_in.", c0, r.integer("in_channels", 4), k_in);
  b.linear("time_embedding.linear_1.", temb, c0);  // sinusoid width = block_out_channels[0]
  b.linear("time_embedding.linear_2.", temb, temb);
  if (r.string("addition_embed_type", "") == "text_time") {
    const int64_t add_in = r.integer("projection_class_embeddings_input_dim", -1);
    if (add_in <= 0) throw Error(ErrorCategory::Input, "", kUnetWhat + ": text_time needs projection_class_embeddings_input_dim");
    b.linear("add_embedding.linear_1.", temb, add_in);
    b.linear("add_embedding.linear_2.", temb, temb);
  }

  int64_t ch = c0;
  for (size_t lv = 0; lv < s.levels(); ++lv) {
    const std::string p = "down_blocks." + std::to_string(lv) + ".";
    const int64_t in = ch;
    ch = s.channels[lv];
    for (int64_t j = 0; j < s.down_layers[lv]; ++j) {
      resnet(b, p + "resnets." + std::to_string(j) + ".", j == 0 ? in : ch, ch, temb);
      if (s.down_attention[lv])
        transformer(b, p + "attentions." + std::to_string(j) + ".", ch, s.down_depth[lv], cross, linear_proj);
    }
    if (lv + 1 < s.levels()) b.conv(p + "downsamplers.0.conv.", ch, ch, 3);
  }

  if (s.mid_attention) {
    resnet(b, "mid_block.resnets.0.", clast, clast, temb);
    transformer(b, "mid_block.attentions.0.", clast, s.mid_depth, cross, linear_proj);
    resnet(b, "mid_block.resnets.1.", clast, clast, temb);
  }

  // Up block i mirrors down level n-1-i; resnet j concatenates the skip of the matching down resnet.
  const size_t n = s.levels();
  ch = s.channels[n - 1];
  for (size_t i = 0; i < n; ++i) {
    const std::string p = "up_blocks." + std::to_string(i) + ".";
    const int64_t prev = ch;
    ch = s.channels[n - 1 - i];
    const int64_t skip_in = s.channels[n - 1 - std::min(i + 1, n - 1)];
    const int64_t layers = s.down_layers[n - 1 - i] + 1;
    for (int64_t j = 0; j < layers; ++j) {
      const int64_t skip = j == layers - 1 ? skip_in : ch;
      resnet(b, p + "resnets." + std::to_string(j) + ".", (j == 0 ? prev : ch) + skip, ch, temb);
      if (s.up_attention[i])
        transformer(b, p + "attentions." + std::to_string(j) + ".", ch, s.up_depth[i], cross, linear_proj);
    }
    if (i + 1 < n) b.conv(p + "upsamplers.0.conv.", ch, ch, 3);
  }

  b.norm("conv_norm_out.", c0);
  b.conv("conv_out.", r.integer("out_channels", 4), c0, k_out);
  return out;
}

ShapeMap vae_tensors(const nlohmann::json& cfg) {
  const config::Reader r(cfg, kVaeWhat);
  const VaeStructure s = vae_structure(cfg);
  const int64_t latent = r.integer("latent_channels", 4);
  const int64_t c0 = s.channels.front(), clast = s.channels.back();
  const size_t n = s.levels();
  ShapeMap out;
  ShapeBuilder b{out};

  b.conv("encoder.conv_in.", c0, r.integer("in_channels", 3), 3);
  int64_t ch = c0;
  for (size_t lv = 0; lv < n; ++lv) {
    const std::string p = "encoder.down_blocks." + std::to_string(lv) + ".";
    const int64_t in = ch;
    ch = s.channels[lv];
    for (int64_t j = 0; j < s.layers_per_block; ++j)
      resnet(b, p + "resnets." + std::to_string(j) + ".", j == 0 ? in : ch, ch, 0);
    if (lv + 1 < n) b.conv(p + "downsamplers.0.conv.", ch, ch, 3);
  }
  const bool mid_attention = r.boolean("mid_block_add_attention", true);
  for (const std::string part : {"encoder.", "decoder."}) {
    resnet(b, part + "mid_block.resnets.0.", clast, clast, 0);
    if (mid_attention) vae_attention(b, part + "mid_block.attentions.0.", clast);
    resnet(b, part + "mid_block.resnets.1.", clast, clast, 0);
  }
  b.norm("encoder.conv_norm_out.", clast);
  b.conv("encoder.conv_out.", 2 * latent, clast, 3);  // mean and logvar
  if (r.boolean("use_quant_conv", true)) b.conv("quant_conv.", 2 * latent, 2 * latent, 1);
  if (r.boolean("use_post_quant_conv", true)) b.conv("post_quant_conv.", latent, latent, 1);

  b.conv("decoder.conv_in.", clast, latent, 3);
  ch = clast;
  for (size_t i = 0; i < n; ++i) {
    const std::string p = "decoder.up_blocks." + std::to_string(i) + ".";
    const int64_t prev = ch;
    ch = s.channels[n - 1 - i];
    for (int64_t j = 0; j <= s.layers_per_block; ++j)
      resnet(b, p + "resnets." + std::to_string(j) + ".", j == 0 ? prev : ch, ch, 0);
    if (i + 1 < n) b.conv(p + "upsamplers.0.conv.", ch, ch, 3);
  }
  b.norm("decoder.conv_norm_out.", c0);
  b.conv("decoder.conv_out.", r.integer("out_channels", 3), c0, 3);
  return out;
}

// transformers CLIPTextModel (+ text_projection for CLIPTextModelWithProjection).
ShapeMap clip_tensors(const nlohmann::json& cfg, bool with_projection, const std::string& what) {
  const config::Reader r(cfg, what);
  const int64_t width = r.integer("hidden_size", 512);
  const int64_t inner = r.integer("intermediate_size", 2048);
  ShapeMap out;
  ShapeBuilder b{out};
  out["text_model.embeddings.token_embedding.weight"] = {r.integer("vocab_size", 49408), width};
  out["text_model.embeddings.position_embedding.weight"] = {r.integer("max_position_embeddings", 77), width};
  for (int64_t k = 0; k < clip_layers(cfg); ++k) {
    const std::string p = "text_model.encoder.layers." + std::to_string(k) + ".";
    for (const char* proj : {"q_proj.", "k_proj.", "v_proj.", "out_proj."}) b.linear(p + "self_attn." + proj, width, width);
    b.norm(p + "layer_norm1.", width);
    b.norm(p + "layer_norm2.", width);
    b.linear(p + "mlp.fc1.", inner, width);
    b.linear(p + "mlp.fc2.", width, inner);
  }
  b.norm("text_model.final_layer_norm.", width);
  if (with_projection) b.linear("text_projection.", r.integer("projection_dim", 512), width, false);
  return out;
}

}  // namespace

UnetStructure unet_structure(const nlohmann::json& cfg) {
  const config::Reader r(cfg, kUnetWhat);
  UnetStructure s;
  s.channels = r.integers("block_out_channels");
  const size_t n = s.levels();
  const auto down_types = r.strings("down_block_types");
  const auto up_types = r.strings("up_block_types");
  if (down_types.size() != n || up_types.size() != n)
    throw Error(ErrorCategory::Input, "", kUnetWhat + ": down_block_types and up_block_types need one entry per block_out_channels entry (" +
                std::to_string(n) + ")");
  require_value(r, "reverse_transformer_layers_per_block", {nullptr});
  s.down_layers = r.per_level("layers_per_block", n, 2);
  s.down_depth = r.per_level("transformer_layers_per_block", n, 1);
  for (size_t i = 0; i < n; ++i) {
    if (down_types[i] != "CrossAttnDownBlock2D" && down_types[i] != "DownBlock2D")
      throw Error(ErrorCategory::Input, "", kUnetWhat + ": down block type '" + down_types[i] + "' is not supported");
    if (up_types[i] != "CrossAttnUpBlock2D" && up_types[i] != "UpBlock2D")
      throw Error(ErrorCategory::Input, "", kUnetWhat + ": up block type '" + up_types[i] + "' is not supported");
    s.down_attention.push_back(down_types[i] == "CrossAttnDownBlock2D");
    s.up_attention.push_back(up_types[i] == "CrossAttnUpBlock2D");
    s.up_depth.push_back(s.down_depth[n - 1 - i]);
  }
  const std::string mid = r.string("mid_block_type", "UNetMidBlock2DCrossAttn");
  if (mid != "UNetMidBlock2DCrossAttn") throw Error(ErrorCategory::Input, "", kUnetWhat + ": mid_block_type '" + mid + "' is not supported");
  s.mid_attention = true;
  s.mid_depth = s.down_depth.back();  // diffusers: the mid block uses the deepest level's depth
  return s;
}

VaeStructure vae_structure(const nlohmann::json& cfg) {
  const config::Reader r(cfg, kVaeWhat);
  VaeStructure s;
  s.channels = r.integers("block_out_channels");
  s.layers_per_block = r.integer("layers_per_block", 1);
  for (const auto& t : r.strings("down_block_types"))
    if (t != "DownEncoderBlock2D") throw Error(ErrorCategory::Input, "", kVaeWhat + ": down block type '" + t + "' is not supported");
  for (const auto& t : r.strings("up_block_types"))
    if (t != "UpDecoderBlock2D") throw Error(ErrorCategory::Input, "", kVaeWhat + ": up block type '" + t + "' is not supported");
  return s;
}

int64_t clip_layers(const nlohmann::json& cfg) {
  return config::Reader(cfg, "text encoder config").integer("num_hidden_layers", 12);
}

ShapeMap expected_tensors(const std::string& component, const nlohmann::json& config) {
  if (component == "unet") return unet_tensors(config);
  if (component == "vae") return vae_tensors(config);
  if (component == "text_encoder") return clip_tensors(config, false, "text_encoder config");
  if (component == "text_encoder_2") return clip_tensors(config, true, "text_encoder_2 config");
  throw Error(ErrorCategory::Input, "", "unknown model component '" + component + "' (expected unet, vae, text_encoder or text_encoder_2)");
}

int64_t count_elements(const ShapeMap& shapes) {
  int64_t total = 0;
  for (const auto& [name, shape] : shapes) {
    int64_t n = 1;
    for (auto d : shape) n *= d;
    total += n;
  }
  return total;
}

}  // namespace sdxl
