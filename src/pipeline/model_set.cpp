#include "pipeline/model_set.h"

#include "common/error.h"
#include "text/tokenizer.h"
#include "weights/state_dict.h"

namespace sdxl {
namespace {

// Weights go straight from the mapped file into parameters of the target dtype/device: the module is
// built there (UNet: uninitialised storage) and load_state_dict converts each tensor once.
UNet2DConditionModel load_unet(const ComponentWeights& c, const Placement& p) {
  UNet2DConditionModel unet(UNetConfig::from_json(c.config, c.config_source),
                            at::TensorOptions().device(p.device).dtype(p.dtype));
  load_state_dict(*unet, c.tensors, "unet from " + c.source);
  unet->eval();
  return unet;
}

AutoencoderKL load_vae(const ComponentWeights& c, const Placement& p) {
  AutoencoderKL vae(VaeConfig::from_json(c.config, c.config_source));
  vae->to(p.device, p.vae_dtype);
  load_state_dict(*vae, c.tensors, "vae from " + c.source);
  vae->eval();
  return vae;
}

std::shared_ptr<const Tokenizer> tokenizer_for(const std::string& dir, int default_pad) {
  return dir.empty() ? bundled_clip_tokenizer(default_pad) : load_tokenizer(dir);
}

const ComponentWeights* find_component(const Checkpoint& ckpt, const char* name) {
  auto it = ckpt.components.find(name);
  return it == ckpt.components.end() ? nullptr : &it->second;
}

}  // namespace

std::unique_ptr<TextConditioner> load_text_conditioner(const Checkpoint& ckpt, const Placement& placement,
                                                       ModelKind kind, std::shared_ptr<TextEncoder> shared_te2,
                                                       std::shared_ptr<TextEncoder>* te2_out) {
  // SDXL's tokenizers are CLIP BPE; tokenizer pads with eos (49407), tokenizer_2 with "!" (id 0).
  std::vector<TextEncoder> encoders;
  if (kind == ModelKind::Base) {
    const auto* te1 = find_component(ckpt, "text_encoder");
    if (!te1) throw Error(ckpt.path + ": the base checkpoint has no text_encoder (CLIP ViT-L)");
    encoders.push_back(TextEncoder::from_state_dict("text_encoder", tokenizer_for(ckpt.tokenizer_dir, 49407),
                                                    te1->tensors, te1->config, placement.device, placement.dtype));
  }
  if (const auto* te2 = find_component(ckpt, "text_encoder_2")) {
    encoders.push_back(TextEncoder::from_state_dict("text_encoder_2", tokenizer_for(ckpt.tokenizer_2_dir, 0),
                                                    te2->tensors, te2->config, placement.device, placement.dtype));
  } else if (shared_te2) {
    encoders.push_back(*shared_te2);  // the diffusers refiner folder reuses the base's encoder 2
  } else {
    throw Error(ckpt.path + ": the checkpoint has no text_encoder_2 (OpenCLIP ViT-bigG)");
  }
  if (te2_out) *te2_out = std::make_shared<TextEncoder>(encoders.back());
  TextConditionerOptions opt;
  opt.kind = kind;
  opt.force_zeros_for_empty_prompt = kind == ckpt.kind ? ckpt.force_zeros_for_empty_prompt : kind == ModelKind::Base;
  return std::make_unique<TextConditioner>(std::move(encoders), opt);
}

std::unique_ptr<ModelSet> load_model_set(const std::string& path, const std::string& config_dir,
                                         const Placement& placement, const ModelSet* share_from) {
  Checkpoint ckpt = open_checkpoint(path, config_dir);
  auto m = std::make_unique<ModelSet>();
  m->path = path;
  m->kind = ckpt.kind;
  m->force_zeros_for_empty_prompt = ckpt.force_zeros_for_empty_prompt;
  m->scheduler = ckpt.scheduler_config.is_null() ? SchedulerConfig{}
                                                 : SchedulerConfig::from_json(ckpt.scheduler_config, path + " scheduler");
  const ComponentWeights* unet = find_component(ckpt, "unet");
  if (!unet) throw Error(path + ": the checkpoint has no UNet");
  m->unet = load_unet(*unet, placement);
  if (const auto* vae = find_component(ckpt, "vae")) m->vae = load_vae(*vae, placement);

  m->text = load_text_conditioner(ckpt, placement, ckpt.kind, share_from ? share_from->text_encoder_2 : nullptr,
                                  &m->text_encoder_2);
  if (!m->vae && share_from && share_from->vae) m->vae = share_from->vae;
  return m;
}

}  // namespace sdxl
