#include "weights/infer_config.h"
#include "common/strings.h"

#include "common/error.h"
#include "weights/presets.h"

#include <set>

namespace sdxl {
namespace {

constexpr int64_t kSdxlHeadWidth = 64;
constexpr int64_t kSdxlTimeIdWidth = 256;
constexpr int64_t kSdxlPooledWidth = 1280;


// Reads shapes of one component's tensors; a missing tensor the architecture cannot do without is an error.
struct Shapes {
  const ShapeMap& map;
  std::string what;
  bool has(const std::string& name) const { return map.count(name) != 0; }
  bool has_prefix(const std::string& prefix) const {
    auto it = map.lower_bound(prefix);
    return it != map.end() && starts_with(it->first, prefix);
  }
  const std::vector<int64_t>& of(const std::string& name, size_t rank) const {
    auto it = map.find(name);
    if (it == map.end()) throw Error(ErrorCategory::Input, "", what + ": cannot detect the architecture: no tensor '" + name + "'");
    if (it->second.size() != rank)
      throw Error(ErrorCategory::Input, "", what + ": cannot detect the architecture: '" + name + "' has rank " +
                  std::to_string(it->second.size()) + ", expected " + std::to_string(rank));
    return it->second;
  }
  // Distinct values of the number that follows `prefix` ("input_blocks." -> {0, 1, ...}).
  std::set<int64_t> indices(const std::string& prefix) const {
    std::set<int64_t> out;
    for (auto it = map.lower_bound(prefix); it != map.end() && starts_with(it->first, prefix); ++it) {
      const std::string rest = it->first.substr(prefix.size());
      const size_t dot = rest.find('.');
      const std::string digits = rest.substr(0, dot);
      if (!digits.empty() && digits.find_first_not_of("0123456789") == std::string::npos && digits.size() < 10)
        out.insert(std::stoll(digits));
    }
    return out;
  }
  // First tensor whose name ends with `suffix` (map order), or nullptr.
  const std::vector<int64_t>* first_ending(const std::string& suffix) const {
    for (const auto& [name, shape] : map)
      if (name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
        return &shape;
    return nullptr;
  }
};

// Heads per level for SDXL's head width 64 (diffusers calls the head count attention_head_dim).
nlohmann::json heads_for(const std::vector<int64_t>& widths, const std::string& key, InferredConfig& out) {
  nlohmann::json heads = nlohmann::json::array();
  std::string odd;
  for (int64_t w : widths) {
    const bool fits = w % kSdxlHeadWidth == 0;
    heads.push_back(fits ? nlohmann::json(w / kSdxlHeadWidth) : nlohmann::json(nullptr));
    if (!fits) odd += (odd.empty() ? "" : ", ") + std::to_string(w);
  }
  if (!odd.empty()) out.unresolved.push_back(key + ": width " + odd + " is not a multiple of SDXL's head width 64");
  return heads;
}

struct UnetLevel {
  int64_t channels = 0, resnets = 0, depth = 0;
  bool attention = false;
};

InferredConfig clip_config(const std::string& component, int64_t vocab, int64_t width, int64_t positions,
                           int64_t layers, int64_t inner, int64_t projection) {
  InferredConfig out;
  out.config = preset_config("sdxl-base", component);
  out.config["vocab_size"] = vocab;
  out.config["hidden_size"] = width;
  out.config["max_position_embeddings"] = positions;
  out.config["num_hidden_layers"] = layers;
  out.config["intermediate_size"] = inner;
  out.config["projection_dim"] = projection > 0 ? projection : width;
  out.config["num_attention_heads"] = heads_for({width}, "num_attention_heads", out).at(0);
  return out;
}

}  // namespace

InferredConfig infer_unet_config(const ShapeMap& sgm, int64_t pooled_dim, int num_time_ids) {
  const Shapes s{sgm, "unet"};
  const auto& conv_in = s.of("input_blocks.0.0.weight", 4);
  std::vector<UnetLevel> levels(1);
  for (int64_t i : s.indices("input_blocks.")) {
    if (i == 0) continue;
    const std::string block = "input_blocks." + std::to_string(i) + ".";
    if (s.has(block + "0.op.weight")) {  // downsampler closes a level
      levels.emplace_back();
      continue;
    }
    UnetLevel& lv = levels.back();
    lv.channels = s.of(block + "0.out_layers.3.weight", 4)[0];
    ++lv.resnets;
    if (s.has_prefix(block + "1.")) {
      lv.attention = true;
      lv.depth = static_cast<int64_t>(s.indices(block + "1.transformer_blocks.").size());
    }
  }
  for (size_t i = 0; i < levels.size(); ++i)
    if (levels[i].resnets == 0)
      throw Error(ErrorCategory::Input, "", "unet: cannot detect the architecture: down level " + std::to_string(i) + " has no resnets");
  const int64_t mid_depth = static_cast<int64_t>(s.indices("middle_block.1.transformer_blocks.").size());
  if (mid_depth == 0) throw Error(ErrorCategory::Input, "", "unet: cannot detect the architecture: no middle_block.1 transformer blocks");

  InferredConfig out;
  nlohmann::json& c = out.config;
  c = preset_config("sdxl-base", "unet");
  c["in_channels"] = conv_in[1];
  c["conv_in_kernel"] = conv_in[2];
  const auto& conv_out = s.of("out.2.weight", 4);
  c["out_channels"] = conv_out[0];
  c["conv_out_kernel"] = conv_out[2];

  std::vector<int64_t> channels, resnets;
  nlohmann::json down = nlohmann::json::array(), up = nlohmann::json::array();
  std::set<int64_t> depths = {mid_depth};
  for (const auto& lv : levels) {
    channels.push_back(lv.channels);
    resnets.push_back(lv.resnets);
    down.push_back(lv.attention ? "CrossAttnDownBlock2D" : "DownBlock2D");
    up.insert(up.begin(), lv.attention ? "CrossAttnUpBlock2D" : "UpBlock2D");
    if (lv.attention) depths.insert(lv.depth);
  }
  c["block_out_channels"] = channels;
  c["down_block_types"] = down;
  c["up_block_types"] = up;
  c["layers_per_block"] = std::set<int64_t>(resnets.begin(), resnets.end()).size() == 1 ? nlohmann::json(resnets[0])
                                                                                          : nlohmann::json(resnets);
  // Depth of levels without attention is not stored; diffusers takes the mid block's from the last level.
  if (depths.size() == 1) {
    c["transformer_layers_per_block"] = mid_depth;
  } else {
    nlohmann::json per_level = nlohmann::json::array();
    for (size_t i = 0; i < levels.size(); ++i)
      per_level.push_back(levels[i].attention ? levels[i].depth : (i + 1 == levels.size() ? mid_depth : 1));
    c["transformer_layers_per_block"] = per_level;
  }
  if (levels.back().attention && levels.back().depth != mid_depth)
    out.unresolved.push_back("transformer_layers_per_block: mid block depth " + std::to_string(mid_depth) +
                             " differs from the last level's " + std::to_string(levels.back().depth));
  c["attention_head_dim"] = heads_for(channels, "attention_head_dim", out);

  if (const auto* to_k = s.first_ending(".attn2.to_k.weight")) c["cross_attention_dim"] = to_k->at(1);
  if (const auto* proj_in = s.first_ending(".proj_in.weight")) c["use_linear_projection"] = proj_in->size() == 2;
  const int64_t temb = s.of("time_embed.0.weight", 2)[0];
  c["time_embedding_dim"] = temb == 4 * channels[0] ? nlohmann::json(nullptr) : nlohmann::json(temb);

  if (s.has("label_emb.0.0.weight")) {
    const int64_t add_in = s.of("label_emb.0.0.weight", 2)[1];
    c["projection_class_embeddings_input_dim"] = add_in;
    if (pooled_dim > 0 && num_time_ids > 0) {
      if ((add_in - pooled_dim) % num_time_ids != 0 || add_in <= pooled_dim)
        throw Error(ErrorCategory::Input, "", "unet: add embedding input " + std::to_string(add_in) + " does not fit pooled width " +
                    std::to_string(pooled_dim) + " + " + std::to_string(num_time_ids) + " time ids");
      c["addition_time_embed_dim"] = (add_in - pooled_dim) / num_time_ids;
    } else {
      const int64_t ids = (add_in - kSdxlPooledWidth) / kSdxlTimeIdWidth;
      c["addition_time_embed_dim"] = kSdxlTimeIdWidth;
      if (add_in != kSdxlPooledWidth + ids * kSdxlTimeIdWidth || (ids != 5 && ids != 6))
        out.unresolved.push_back("addition_time_embed_dim: add embedding input " + std::to_string(add_in) +
                                 " is not SDXL's pooled 1280 + 5 or 6 time ids x 256");
    }
  } else {
    c["addition_embed_type"] = nullptr;
    c["projection_class_embeddings_input_dim"] = nullptr;
    c["addition_time_embed_dim"] = nullptr;
  }
  return out;
}

InferredConfig infer_vae_config(const ShapeMap& ldm) {
  const Shapes s{ldm, "vae"};
  InferredConfig out;
  nlohmann::json& c = out.config;
  c = preset_config("sdxl-base", "vae");
  c["in_channels"] = s.of("encoder.conv_in.weight", 4)[1];
  c["out_channels"] = s.of("decoder.conv_out.weight", 4)[0];
  c["latent_channels"] = s.of("decoder.conv_in.weight", 4)[1];
  const auto levels = s.indices("encoder.down.");
  if (levels.empty()) throw Error(ErrorCategory::Input, "", "vae: cannot detect the architecture: no encoder.down.* tensors");
  std::vector<int64_t> channels;
  for (size_t i = 0; i < levels.size(); ++i)
    channels.push_back(s.of("encoder.down." + std::to_string(i) + ".block.0.conv2.weight", 4)[0]);
  c["block_out_channels"] = channels;
  c["layers_per_block"] = static_cast<int64_t>(s.indices("encoder.down.0.block.").size());
  c["down_block_types"] = std::vector<std::string>(levels.size(), "DownEncoderBlock2D");
  c["up_block_types"] = std::vector<std::string>(levels.size(), "UpDecoderBlock2D");
  return out;
}

InferredConfig infer_clip_config(const ShapeMap& hf, const std::string& component) {
  const Shapes s{hf, component};
  const auto& tokens = s.of("text_model.embeddings.token_embedding.weight", 2);
  const int64_t projection = s.has("text_projection.weight") ? s.of("text_projection.weight", 2)[0] : 0;
  return clip_config(component, tokens[0], tokens[1], s.of("text_model.embeddings.position_embedding.weight", 2)[0],
                     static_cast<int64_t>(s.indices("text_model.encoder.layers.").size()),
                     s.of("text_model.encoder.layers.0.mlp.fc1.weight", 2)[0], projection);
}

InferredConfig infer_open_clip_config(const ShapeMap& open_clip) {
  const Shapes s{open_clip, "text_encoder_2"};
  const auto& tokens = s.of("token_embedding.weight", 2);
  return clip_config("text_encoder_2", tokens[0], tokens[1], s.of("positional_embedding", 2)[0],
                     static_cast<int64_t>(s.indices("transformer.resblocks.").size()),
                     s.of("transformer.resblocks.0.mlp.c_fc.weight", 2)[0], s.of("text_projection", 2)[1]);
}

}  // namespace sdxl
