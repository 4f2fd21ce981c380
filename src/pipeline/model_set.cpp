#include "pipeline/model_set.h"

#include "common/config_reader.h"
#include "common/error.h"
#include "common/stopwatch.h"
#include "text/tokenizer.h"
#include "weights/presets.h"
#include "weights/state_dict.h"

namespace sdxl {
namespace {

// Weights go straight from the mapped file into parameters of the target dtype/device: the module is
// built there in uninitialised storage and load_state_dict converts each tensor once.
UNet2DConditionModel load_unet(const ComponentWeights& c, const Placement& p) {
  UNet2DConditionModel unet(UNetConfig::from_json(c.config, c.config_source),
                            at::TensorOptions().device(p.device).dtype(p.dtype));
  load_state_dict(*unet, c.tensors, "unet from " + c.source);
  unet->eval();
  return unet;
}

AutoencoderKL load_vae(const ComponentWeights& c, const Placement& p) {
  AutoencoderKL vae(VaeConfig::from_json(c.config, c.config_source),
                    at::TensorOptions().device(p.device).dtype(p.vae_dtype));
  load_state_dict(*vae, c.tensors, "vae from " + c.source);
  vae->eval();
  return vae;
}

}  // namespace

// A tokenizer folder names its own pad token and context length; without one (single-file checkpoints) the
// bundled CLIP vocabulary pads as the SDXL preset's `component` does (text_encoder: eos 49407,
// text_encoder_2: "!" = 0). The context length defaults to the encoder's max_position_embeddings.
std::shared_ptr<const Tokenizer> tokenizer_for(const std::string& dir, const char* component,
                                               const nlohmann::json& encoder_config, text::ClipCleaning cleaning) {
  const int context_length = static_cast<int>(
      CLIPTextConfig::from_json(encoder_config, std::string(component) + " config").max_position_embeddings);
  if (!dir.empty()) return load_tokenizer(dir, cleaning, context_length);
  const nlohmann::json preset = preset_config("sdxl-base", component);
  const int64_t pad = config::Reader(preset, std::string("built-in ") + component + " config").integer("pad_token_id");
  return bundled_clip_tokenizer(static_cast<int>(pad), context_length, cleaning);
}

namespace {

const ComponentWeights* find_component(const Checkpoint& ckpt, const char* name) {
  auto it = ckpt.components.find(name);
  return it == ckpt.components.end() ? nullptr : &it->second;
}

// The checkpoint's OpenCLIP bigG encoder; null when it has none.
std::shared_ptr<TextEncoder> load_text_encoder_2(const Checkpoint& ckpt, const Placement& placement) {
  const auto* te2 = find_component(ckpt, "text_encoder_2");
  if (!te2) return nullptr;
  return std::make_shared<TextEncoder>(TextEncoder::from_state_dict(
      "text_encoder_2", tokenizer_for(ckpt.tokenizer_2_dir, "text_encoder_2", te2->config, text::ClipCleaning::OpenClip), te2->tensors,
      te2->config, placement.device, placement.dtype));
}

}  // namespace

std::unique_ptr<TextConditioner> load_text_conditioner(const Checkpoint& ckpt, const Placement& placement,
                                                       ModelKind kind, std::shared_ptr<TextEncoder> shared_te2,
                                                       std::shared_ptr<TextEncoder>* te2_out) {
  std::vector<TextEncoder> encoders;
  if (kind == ModelKind::Base) {
    const auto* te1 = find_component(ckpt, "text_encoder");
    if (!te1) throw Error(ErrorCategory::Input, "", ckpt.path + ": the base checkpoint has no text_encoder (CLIP ViT-L)");
    auto tokenizer = tokenizer_for(ckpt.tokenizer_dir, "text_encoder", te1->config, text::ClipCleaning::Transformers);
    encoders.push_back(TextEncoder::from_state_dict("text_encoder", tokenizer,
                                                    te1->tensors, te1->config, placement.device, placement.dtype));
  }
  std::shared_ptr<TextEncoder> te2 = load_text_encoder_2(ckpt, placement);
  if (!te2) te2 = shared_te2;  // a refiner folder without its own reuses the base's encoder 2
  if (!te2) throw Error(ErrorCategory::Input, "", ckpt.path + ": the checkpoint has no text_encoder_2 (OpenCLIP ViT-bigG)");
  encoders.push_back(*te2);
  if (te2_out) *te2_out = te2;
  TextConditionerOptions opt;
  opt.kind = kind;
  opt.force_zeros_for_empty_prompt = kind == ckpt.kind ? ckpt.force_zeros_for_empty_prompt : kind == ModelKind::Base;
  return std::make_unique<TextConditioner>(std::move(encoders), opt);
}

ModelSet::ModelSet(const std::string& model_path, const std::string& config_dir, const Placement& p,
                   ModelSet* share_from)
    : path(model_path), placement(p), checkpoint(open_checkpoint(model_path, config_dir)), share_from_(share_from) {
  kind = checkpoint.kind;
  scheduler = checkpoint.scheduler_config.is_null()
                  ? SchedulerConfig{}
                  : SchedulerConfig::from_json(checkpoint.scheduler_config, path + " scheduler");
  if (!find_component(checkpoint, "unet")) throw Error(ErrorCategory::Input, "", path + ": the checkpoint has no UNet");
}

UNet2DConditionModel& ModelSet::ensure_unet() {
  if (!unet) {
    Stopwatch timer;
    unet = load_unet(*find_component(checkpoint, "unet"), placement);
    load_s += timer.seconds();
  }
  return unet;
}

AutoencoderKL& ModelSet::ensure_vae() {
  if (!has_vae()) {
    if (share_from_ && share_from_->has_vae()) return share_from_->ensure_vae();
    throw Error(ErrorCategory::Input, "", path + ": the checkpoint has no VAE");
  }
  if (!vae) {
    Stopwatch timer;
    vae = load_vae(checkpoint.components.at("vae"), placement);
    load_s += timer.seconds();
  }
  return vae;
}

TextConditioner& ModelSet::ensure_text() {
  if (!text) {
    Stopwatch timer;
    // Borrow the lender's encoder 2: its loaded one, else only that encoder from its checkpoint (loading
    // the lender's whole conditioner would bring back CLIP-L, which --low-memory has just released).
    std::shared_ptr<TextEncoder> lent;
    if (share_from_ && !find_component(checkpoint, "text_encoder_2"))
      lent = share_from_->text_encoder_2 ? share_from_->text_encoder_2
                                         : load_text_encoder_2(share_from_->checkpoint, placement);
    text = load_text_conditioner(checkpoint, placement, kind, lent, &text_encoder_2);
    load_s += timer.seconds();
  }
  return *text;
}

void ModelSet::release_text() {
  text.reset();
  text_encoder_2.reset();
}

}  // namespace sdxl
