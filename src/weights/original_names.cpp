#include "weights/original_names.h"
#include "common/strings.h"

#include "common/error.h"
#include "weights/architecture.h"

namespace sdxl {
namespace {

using Rename = OriginalNames::Rename;

// Inner renames, applied to the rest of a name after its block prefix. Longest matching prefix wins;
// an entry naming a whole tensor ("to_q.weight") matches only that tensor.
const std::vector<Rename> kSame = {{"", ""}};

// SGM UNet (sgm/modules/diffusionmodules/openaimodel.py): top-level layers live in Sequentials.
const std::vector<Rename> kUnetTop = {
    {"conv_in.", "input_blocks.0.0."},
    {"time_embedding.linear_1.", "time_embed.0."},
    {"time_embedding.linear_2.", "time_embed.2."},
    {"add_embedding.linear_1.", "label_emb.0.0."},
    {"add_embedding.linear_2.", "label_emb.0.2."},
    {"conv_norm_out.", "out.0."},
    {"conv_out.", "out.2."},
};
// SGM ResBlock: in_layers = (GroupNorm, SiLU, conv), emb_layers = (SiLU, Linear),
// out_layers = (GroupNorm, SiLU, Dropout, conv).
const std::vector<Rename> kUnetResnet = {
    {"norm1.", "in_layers.0."},          {"conv1.", "in_layers.2."},  {"time_emb_proj.", "emb_layers.1."},
    {"norm2.", "out_layers.0."},         {"conv2.", "out_layers.3."}, {"conv_shortcut.", "skip_connection."},
};
// SpatialTransformer internals (norm, proj_in, transformer_blocks.K..., proj_out) share diffusers' names: kSame.

// LDM VAE (ldm/modules/diffusionmodules/model.py).
const std::vector<Rename> kVaeTop = {
    {"", ""},
    {"encoder.conv_norm_out.", "encoder.norm_out."},
    {"decoder.conv_norm_out.", "decoder.norm_out."},
};
const std::vector<Rename> kVaeResnet = {{"", ""}, {"conv_shortcut.", "nin_shortcut."}};
const std::vector<Rename> kVaeAttention = {
    {"group_norm.", "norm."},
    {"to_q.weight", "q.weight", Stored::Conv1x1},
    {"to_q.bias", "q.bias"},
    {"to_k.weight", "k.weight", Stored::Conv1x1},
    {"to_k.bias", "k.bias"},
    {"to_v.weight", "v.weight", Stored::Conv1x1},
    {"to_v.bias", "v.bias"},
    {"to_out.0.weight", "proj_out.weight", Stored::Conv1x1},
    {"to_out.0.bias", "proj_out.bias"},
};

// OpenCLIP text tower (open_clip/transformer.py) as SGM stores it for text encoder 2.
const std::vector<Rename> kOpenClipTop = {
    {"text_model.embeddings.token_embedding.weight", "token_embedding.weight"},
    {"text_model.embeddings.position_embedding.weight", "positional_embedding"},
    {"text_model.final_layer_norm.", "ln_final."},
    {"text_projection.weight", "text_projection", Stored::Transposed},
};
const std::vector<Rename> kOpenClipLayer = {
    {"layer_norm1.", "ln_1."},
    {"layer_norm2.", "ln_2."},
    {"self_attn.q_proj.weight", "attn.in_proj_weight", Stored::FusedQKV, 0},
    {"self_attn.k_proj.weight", "attn.in_proj_weight", Stored::FusedQKV, 1},
    {"self_attn.v_proj.weight", "attn.in_proj_weight", Stored::FusedQKV, 2},
    {"self_attn.q_proj.bias", "attn.in_proj_bias", Stored::FusedQKV, 0},
    {"self_attn.k_proj.bias", "attn.in_proj_bias", Stored::FusedQKV, 1},
    {"self_attn.v_proj.bias", "attn.in_proj_bias", Stored::FusedQKV, 2},
    {"self_attn.out_proj.", "attn.out_proj."},
    {"mlp.fc1.", "mlp.c_fc."},
    {"mlp.fc2.", "mlp.c_proj."},
};

std::string num(size_t i) { return std::to_string(i); }

}  // namespace

void OriginalNames::add(std::string canonical_prefix, std::string original_prefix, const std::vector<Rename>& inner) {
  rules_.push_back({std::move(canonical_prefix), std::move(original_prefix), &inner});
}

OriginalNames::OriginalNames(const std::string& component, const nlohmann::json& config) : component_(component) {
  if (component == "unet") {
    // SGM numbers input_blocks consecutively: 0 = conv_in, then per level its resnets (each with its
    // attention as sub-module 1) and a downsampler. output_blocks hold one resnet each (+ attention), the
    // last of an up level also its upsampler, in the slot after the attention if there is one.
    const UnetStructure s = unet_structure(config);
    const size_t n = s.levels();
    add("", "", kUnetTop);
    size_t input = 1;
    for (size_t lv = 0; lv < n; ++lv) {
      const std::string down = "down_blocks." + num(lv) + ".";
      for (int64_t j = 0; j < s.down_layers[lv]; ++j, ++input) {
        add(down + "resnets." + num(j) + ".", "input_blocks." + num(input) + ".0.", kUnetResnet);
        add(down + "attentions." + num(j) + ".", "input_blocks." + num(input) + ".1.", kSame);
      }
      if (lv + 1 < n) add(down + "downsamplers.0.conv.", "input_blocks." + num(input++) + ".0.op.", kSame);
    }
    add("mid_block.resnets.0.", "middle_block.0.", kUnetResnet);
    add("mid_block.attentions.0.", "middle_block.1.", kSame);
    add("mid_block.resnets.1.", "middle_block.2.", kUnetResnet);
    size_t output = 0;
    for (size_t i = 0; i < n; ++i) {
      const std::string up = "up_blocks." + num(i) + ".";
      const int64_t layers = s.down_layers[n - 1 - i] + 1;
      for (int64_t j = 0; j < layers; ++j, ++output) {
        add(up + "resnets." + num(j) + ".", "output_blocks." + num(output) + ".0.", kUnetResnet);
        add(up + "attentions." + num(j) + ".", "output_blocks." + num(output) + ".1.", kSame);
      }
      const std::string slot = s.up_attention[i] ? ".2." : ".1.";
      if (i + 1 < n) add(up + "upsamplers.0.", "output_blocks." + num(output - 1) + slot, kSame);
    }
  } else if (component == "vae") {
    // LDM numbers decoder levels by resolution (up.0 = full size), diffusers by execution order.
    const VaeStructure s = vae_structure(config);
    const size_t n = s.levels();
    add("", "", kVaeTop);
    for (size_t lv = 0; lv < n; ++lv) {
      for (int64_t j = 0; j < s.layers_per_block; ++j)
        add("encoder.down_blocks." + num(lv) + ".resnets." + num(j) + ".",
            "encoder.down." + num(lv) + ".block." + num(j) + ".", kVaeResnet);
      add("encoder.down_blocks." + num(lv) + ".downsamplers.0.", "encoder.down." + num(lv) + ".downsample.", kSame);
    }
    for (const std::string part : {"encoder.", "decoder."}) {
      add(part + "mid_block.resnets.0.", part + "mid.block_1.", kVaeResnet);
      add(part + "mid_block.attentions.0.", part + "mid.attn_1.", kVaeAttention);
      add(part + "mid_block.resnets.1.", part + "mid.block_2.", kVaeResnet);
    }
    for (size_t i = 0; i < n; ++i) {
      const std::string level = "decoder.up." + num(n - 1 - i) + ".";
      for (int64_t j = 0; j <= s.layers_per_block; ++j)
        add("decoder.up_blocks." + num(i) + ".resnets." + num(j) + ".", level + "block." + num(j) + ".", kVaeResnet);
      add("decoder.up_blocks." + num(i) + ".upsamplers.0.", level + "upsample.", kSame);
    }
  } else if (component == "text_encoder") {
    add("", "", kSame);  // SGM stores the Hugging Face CLIPTextModel itself
  } else if (component == "text_encoder_2") {
    add("", "", kOpenClipTop);
    for (int64_t k = 0; k < clip_layers(config); ++k)
      add("text_model.encoder.layers." + num(k) + ".", "transformer.resblocks." + num(k) + ".", kOpenClipLayer);
  } else {
    throw Error(ErrorCategory::Input, "", "unknown model component '" + component + "'");
  }
}

OriginalName OriginalNames::of(const std::string& canonical) const {
  const BlockRule* block = nullptr;
  for (const auto& r : rules_)
    if (starts_with(canonical, r.canonical_prefix) &&
        (!block || r.canonical_prefix.size() > block->canonical_prefix.size()))
      block = &r;
  if (block) {
    const std::string rest = canonical.substr(block->canonical_prefix.size());
    const Rename* inner = nullptr;
    for (const auto& e : *block->inner) {
      const std::string c = e.canonical;
      const bool whole_name = !c.empty() && c.back() != '.';
      if ((whole_name ? rest == c : starts_with(rest, c)) && (!inner || c.size() > std::string(inner->canonical).size()))
        inner = &e;
    }
    if (inner)
      return {block->original_prefix + inner->original + rest.substr(std::string(inner->canonical).size()), inner->how,
              inner->part};
  }
  throw Error(ErrorCategory::Input, "", component_ + ": tensor '" + canonical + "' has no name in the original single-file layout");
}

std::vector<int64_t> stored_shape(const std::vector<int64_t>& canonical, Stored how) {
  std::vector<int64_t> s = canonical;
  switch (how) {
    case Stored::AsIs: break;
    case Stored::Conv1x1: s.push_back(1), s.push_back(1); break;
    case Stored::FusedQKV: if (!s.empty()) s[0] *= 3; break;
    case Stored::Transposed: if (s.size() == 2) std::swap(s[0], s[1]); break;
  }
  return s;
}

std::vector<int64_t> canonical_shape(const std::vector<int64_t>& stored, const OriginalName& name) {
  std::vector<int64_t> s = stored;
  switch (name.how) {
    case Stored::AsIs: break;
    case Stored::Conv1x1:
      if (s.size() == 4 && s[2] == 1 && s[3] == 1) s.resize(2);
      break;
    case Stored::FusedQKV:
      if (!s.empty() && s[0] % 3 == 0) s[0] /= 3;
      break;
    case Stored::Transposed:
      if (s.size() == 2) std::swap(s[0], s[1]);
      break;
  }
  return s;
}

at::Tensor canonical_tensor(const at::Tensor& stored, const OriginalName& name) {
  const std::vector<int64_t> shape = canonical_shape(stored.sizes().vec(), name);
  switch (name.how) {
    case Stored::AsIs: return stored;
    case Stored::Conv1x1: return stored.view(shape);
    case Stored::FusedQKV: return stored.narrow(0, name.part * shape[0], shape[0]);
    case Stored::Transposed: return stored.t();
  }
  return stored;
}

}  // namespace sdxl
