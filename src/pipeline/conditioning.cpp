#include "pipeline/conditioning.h"

#include "common/error.h"

namespace sdxl {
namespace {

std::optional<PixelSize> pixel_size(const std::optional<Size>& s) {
  if (!s) return std::nullopt;
  return PixelSize{s->height, s->width};
}

std::optional<CropTopLeft> crop(const std::optional<std::pair<int, int>>& c) {
  if (!c) return std::nullopt;
  return CropTopLeft{c->first, c->second};
}

at::Tensor ids_row(std::initializer_list<double> values) {
  std::vector<float> v(values.begin(), values.end());
  return at::tensor(v, at::kFloat).unsqueeze(0);
}

// diffusers StableDiffusionXLImg2ImgPipeline without aesthetic score: negative sizes default one by one to
// the positive ones and the negative ids reuse the POSITIVE crop (its _get_add_time_ids).
TimeIds base_img2img_time_ids(const MicroConditioning& mc, PixelSize image) {
  PixelSize orig = mc.original_size.value_or(image), target = mc.target_size.value_or(image);
  CropTopLeft c = mc.crop_top_left.value_or(CropTopLeft{});
  PixelSize neg_orig = mc.negative_original_size.value_or(orig), neg_target = mc.negative_target_size.value_or(target);
  TimeIds ids;
  ids.positive = ids_row({double(orig.height), double(orig.width), double(c.top), double(c.left),
                          double(target.height), double(target.width)});
  ids.negative = ids_row({double(neg_orig.height), double(neg_orig.width), double(c.top), double(c.left),
                          double(neg_target.height), double(neg_target.width)});
  return ids;
}

// Rows [B', ...] for the UNet batch: negative rows first when guidance is on.
at::Tensor cfg_rows(const at::Tensor& negative, const at::Tensor& positive, int64_t batch, bool cfg) {
  at::Tensor pos = positive.repeat_interleave(batch, 0);
  if (!cfg) return pos;
  return at::cat({negative.repeat_interleave(batch, 0), pos});
}

}  // namespace

MicroConditioning micro_conditioning(const GenerationRequest& r) {
  MicroConditioning mc;
  mc.original_size = pixel_size(r.micro.original_size);
  mc.target_size = pixel_size(r.micro.target_size);
  mc.crop_top_left = crop(r.micro.crop_top_left);
  mc.negative_original_size = pixel_size(r.micro.negative_original_size);
  mc.negative_target_size = pixel_size(r.micro.negative_target_size);
  mc.negative_crop_top_left = crop(r.micro.negative_crop_top_left);
  mc.aesthetic_score = r.micro.aesthetic_score;
  mc.negative_aesthetic_score = r.micro.negative_aesthetic_score;
  return mc;
}

TimeIds time_ids_for(ModelKind kind, const GenerationRequest& r, bool img2img, std::vector<std::string>* warnings) {
  MicroConditioning mc = micro_conditioning(r);
  const PixelSize image{r.sampling.size.height, r.sampling.size.width};
  if (kind == ModelKind::Refiner) return refiner_time_ids(mc, image);
  if (img2img) return base_img2img_time_ids(mc, image);
  if (warnings) {
    // The aesthetic scores always have values in a request; only real no-op flags are worth a warning.
    MicroConditioning check = mc;
    check.aesthetic_score.reset();
    check.negative_aesthetic_score.reset();
    for (auto& w : micro_conditioning_warnings(check, TimeIdLayout::kBase)) warnings->push_back(w);
  }
  return base_time_ids(mc, image);
}

UNetConditioning build_conditioning(ModelSet& model, const GenerationRequest& r, int64_t batch,
                                    std::vector<std::string>* warnings) {
  const bool cfg = uses_cfg(r.sampling.cfg);
  TextConditioner& text = model.ensure_text();
  text.set_prompt_modes(r.text.long_prompt == LongPrompt::Chunk ? LongPromptMode::Chunk : LongPromptMode::Truncate,
                        r.text.prompt_syntax == PromptSyntaxMode::A1111 ? PromptSyntax::Emphasis : PromptSyntax::None);
  PromptRequest prompts{r.text.prompt, r.text.prompt_2, r.text.negative_prompt, r.text.negative_prompt_2};
  EncodedPrompts encoded = text.encode(prompts, /*with_negative=*/cfg);
  if (warnings) warnings->insert(warnings->end(), encoded.warnings.begin(), encoded.warnings.end());
  TimeIds ids = time_ids_for(model.kind, r, r.img2img.init_image.has_value(), warnings);

  const auto options = at::TensorOptions().device(model.placement.device).dtype(model.placement.dtype);
  UNetConditioning c;
  c.context = cfg_rows(encoded.negative.context, encoded.positive.context, batch, cfg).to(options);
  c.pooled = cfg_rows(encoded.negative.pooled, encoded.positive.pooled, batch, cfg).to(options);
  c.time_ids = cfg_rows(ids.negative, ids.positive, batch, cfg).to(options.device());
  return c;
}

}  // namespace sdxl
