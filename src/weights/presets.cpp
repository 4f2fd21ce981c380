#include "weights/presets.h"

#include "common/error.h"
#include "weights/architecture.h"

namespace sdxl {
namespace {

// UNet2DConditionModel. attention_head_dim is diffusers' historical name for the number of heads per level
// (SDXL: head width 64). addition_time_embed_dim: each micro-conditioning number -> 256-dim sinusoid.
constexpr const char* kUnetCommon = R"({
  "_class_name": "UNet2DConditionModel", "act_fn": "silu", "addition_embed_type": "text_time",
  "addition_embed_type_num_heads": 64, "addition_time_embed_dim": 256, "attention_type": "default",
  "center_input_sample": false, "class_embed_type": null, "class_embeddings_concat": false, "conv_in_kernel": 3,
  "conv_out_kernel": 3, "downsample_padding": 1, "dropout": 0.0, "dual_cross_attention": false,
  "encoder_hid_dim": null, "encoder_hid_dim_type": null, "flip_sin_to_cos": true, "freq_shift": 0,
  "in_channels": 4, "layers_per_block": 2, "mid_block_only_cross_attention": null, "mid_block_scale_factor": 1,
  "mid_block_type": "UNetMidBlock2DCrossAttn", "norm_eps": 1e-05, "norm_num_groups": 32,
  "num_attention_heads": null, "num_class_embeds": null, "only_cross_attention": false, "out_channels": 4,
  "resnet_out_scale_factor": 1.0, "resnet_skip_time_act": false, "resnet_time_scale_shift": "default",
  "reverse_transformer_layers_per_block": null, "sample_size": 128, "time_cond_proj_dim": null,
  "time_embedding_act_fn": null, "time_embedding_dim": null, "time_embedding_type": "positional",
  "timestep_post_act": null, "upcast_attention": false, "use_linear_projection": true
})";

// Base: context = CLIP-L (768) ++ bigG (1280); add_embedding input = pooled 1280 + 6 time ids x 256.
constexpr const char* kUnetBase = R"({
  "block_out_channels": [320, 640, 1280], "attention_head_dim": [5, 10, 20], "cross_attention_dim": 2048,
  "down_block_types": ["DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"],
  "up_block_types": ["CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"],
  "transformer_layers_per_block": [1, 2, 10], "projection_class_embeddings_input_dim": 2816
})";

// Refiner: context = bigG only; 5 time ids (aesthetic score instead of the target size).
constexpr const char* kUnetRefiner = R"({
  "block_out_channels": [384, 768, 1536, 1536], "attention_head_dim": [6, 12, 24, 24], "cross_attention_dim": 1280,
  "down_block_types": ["DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
  "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"],
  "transformer_layers_per_block": 4, "projection_class_embeddings_input_dim": 2560
})";

// The same VAE for base and refiner; latents are scaled by 0.13025 (not SD 1.x's 0.18215).
constexpr const char* kVae = R"({
  "_class_name": "AutoencoderKL", "act_fn": "silu", "block_out_channels": [128, 256, 512, 512],
  "down_block_types": ["DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D"],
  "force_upcast": true, "in_channels": 3, "latent_channels": 4, "latents_mean": null, "latents_std": null,
  "layers_per_block": 2, "norm_num_groups": 32, "out_channels": 3, "sample_size": 1024, "scaling_factor": 0.13025,
  "up_block_types": ["UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D"]
})";

// transformers CLIPTextConfig. Token ids follow the CLIP BPE vocabulary (<|startoftext|> 49406,
// <|endoftext|> 49407); pad ids as the two SDXL tokenizers pad (49407 resp. "!" = 0).
constexpr const char* kClipCommon = R"({
  "attention_dropout": 0.0, "bos_token_id": 49406, "dropout": 0.0, "eos_token_id": 49407,
  "initializer_factor": 1.0, "initializer_range": 0.02, "layer_norm_eps": 1e-05, "max_position_embeddings": 77,
  "model_type": "clip_text_model", "vocab_size": 49408
})";
// OpenAI CLIP ViT-L/14 text tower.
constexpr const char* kClipL = R"({
  "architectures": ["CLIPTextModel"], "hidden_act": "quick_gelu", "hidden_size": 768, "intermediate_size": 3072,
  "num_attention_heads": 12, "num_hidden_layers": 12, "pad_token_id": 49407, "projection_dim": 768
})";
// OpenCLIP ViT-bigG/14 text tower in transformers names.
constexpr const char* kClipBigG = R"({
  "architectures": ["CLIPTextModelWithProjection"], "hidden_act": "gelu", "hidden_size": 1280,
  "intermediate_size": 5120, "num_attention_heads": 20, "num_hidden_layers": 32, "pad_token_id": 0,
  "projection_dim": 1280
})";

nlohmann::json merged(const char* common, const char* specific) {
  nlohmann::json out = nlohmann::json::parse(common);
  out.update(nlohmann::json::parse(specific));
  return out;
}

}  // namespace

std::vector<std::string> preset_components(const std::string& preset) {
  if (preset == "sdxl-base") return {"unet", "vae", "text_encoder", "text_encoder_2"};
  if (preset == "sdxl-refiner") return {"unet", "vae", "text_encoder_2"};
  throw Error(ErrorCategory::Input, "", "unknown preset '" + preset + "' (expected sdxl-base or sdxl-refiner)");
}

nlohmann::json preset_config(const std::string& preset, const std::string& component) {
  const auto components = preset_components(preset);
  if (std::find(components.begin(), components.end(), component) == components.end())
    throw Error(ErrorCategory::Input, "", "preset '" + preset + "' has no component '" + component + "'");
  if (component == "unet") return merged(kUnetCommon, preset == "sdxl-base" ? kUnetBase : kUnetRefiner);
  if (component == "vae") return nlohmann::json::parse(kVae);
  if (component == "text_encoder") return merged(kClipCommon, kClipL);
  return merged(kClipCommon, kClipBigG);
}

std::map<std::string, int64_t> preset_param_counts(const std::string& preset) {
  std::map<std::string, int64_t> out;
  for (const auto& c : preset_components(preset)) out[c] = count_elements(expected_tensors(c, preset_config(preset, c)));
  return out;
}

}  // namespace sdxl
