#include "weights/checkpoint_layouts.h"
#include "common/strings.h"

#include "common/error.h"
#include "weights/original_names.h"

namespace sdxl {
namespace {


struct UnusedTensor {
  const char* component;
  const char* name;
  bool is_prefix;
};
const UnusedTensor kUnusedTensors[] = {
    {"", "denoiser.sigmas", false},  // SGM's table of the 1000 training sigmas
    {"", "model_ema.", true},        // EMA copy of the weights kept during training
    {"text_encoder", "text_model.embeddings.position_ids", false},  // buffer saved by transformers < 4.31
    {"text_encoder_2", "text_model.embeddings.position_ids", false},
    {"text_encoder_2", "logit_scale", false},  // OpenCLIP's contrastive temperature
};

}  // namespace

const char* const kRefinerEmbedderPrefix = "conditioner.embedders.0.model.";
const char* const kBaseEmbedderPrefix = "conditioner.embedders.0.transformer.";

const std::vector<SingleFilePart>& single_file_parts(ModelKind kind) {
  static const std::vector<SingleFilePart> base = {{"unet", "model.diffusion_model."},
                                                   {"vae", "first_stage_model."},
                                                   {"text_encoder", kBaseEmbedderPrefix},
                                                   {"text_encoder_2", "conditioner.embedders.1.model."}};
  static const std::vector<SingleFilePart> refiner = {{"unet", "model.diffusion_model."},
                                                      {"vae", "first_stage_model."},
                                                      {"text_encoder_2", kRefinerEmbedderPrefix}};
  return kind == ModelKind::Base ? base : refiner;
}

const std::vector<std::string>& single_file_markers() {
  static const std::vector<std::string> markers = {"model.diffusion_model.", "first_stage_model.",
                                                   "conditioner.embedders."};
  return markers;
}

const std::vector<ComponentSignature>& component_signatures() {
  static const std::vector<ComponentSignature> signatures = {
      {"unet", Naming::Canonical, "time_embedding.linear_1.weight"},
      {"unet", Naming::Original, "time_embed.0.weight"},
      {"vae", Naming::Canonical, "encoder.down_blocks.0.resnets.0.conv1.weight"},
      {"vae", Naming::Original, "encoder.down.0.block.0.conv1.weight"},
      {"text_encoder_2", Naming::Canonical, "text_projection.weight"},  // before text_encoder: same names + this
      {"text_encoder", Naming::Canonical, "text_model.embeddings.token_embedding.weight"},
      {"text_encoder_2", Naming::Original, "transformer.resblocks.0.attn.in_proj_weight"},
  };
  return signatures;
}

bool is_unused_tensor(const std::string& component, const std::string& name) {
  for (const auto& u : kUnusedTensors)
    if (component == u.component && (u.is_prefix ? starts_with(name, u.name) : name == u.name)) return true;
  return false;
}

ShapeMap single_file_tensors(ModelKind kind, const std::map<std::string, nlohmann::json>& configs) {
  ShapeMap out;
  for (const auto& part : single_file_parts(kind)) {
    auto it = configs.find(part.component);
    if (it == configs.end()) continue;
    const OriginalNames names(part.component, it->second);
    for (const auto& [name, shape] : expected_tensors(part.component, it->second)) {
      const OriginalName o = names.of(name);
      const std::string key = part.prefix + o.name;
      const std::vector<int64_t> stored = stored_shape(shape, o.how);
      auto [pos, inserted] = out.emplace(key, stored);
      if (!inserted && pos->second != stored)  // q, k and v must agree on the fused tensor
        throw Error(ErrorCategory::Input, "", "single-file tensor " + key + " gets shapes of different sizes from " + name);
    }
  }
  return out;
}

}  // namespace sdxl
