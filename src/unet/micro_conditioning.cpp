#include "unet/micro_conditioning.h"

#include "common/error.h"

#include <cmath>

namespace sdxl {
namespace {

void check_size(const std::optional<PixelSize>& s, const char* field) {
  if (s && (s->height < 1 || s->width < 1))
    throw Error(ErrorCategory::Input, "", std::string("micro-conditioning: ") + field + " must be positive, got " + std::to_string(s->height) +
                "x" + std::to_string(s->width) + " (height x width)");
}

void check_crop(const std::optional<CropTopLeft>& c, const char* field) {
  if (c && (c->top < 0 || c->left < 0))
    throw Error(ErrorCategory::Input, "", std::string("micro-conditioning: ") + field + " must be >= 0, got (" + std::to_string(c->top) + ", " +
                std::to_string(c->left) + ") (top, left)");
}

void check_score(const std::optional<double>& s, const char* field) {
  if (s && !std::isfinite(*s)) throw Error(ErrorCategory::Input, "", std::string("micro-conditioning: ") + field + " must be finite");
}

void validate(const MicroConditioning& mc, PixelSize image) {
  check_size(image, "image size");
  check_size(mc.original_size, "original_size");
  check_size(mc.target_size, "target_size");
  check_size(mc.negative_original_size, "negative_original_size");
  check_size(mc.negative_target_size, "negative_target_size");
  check_crop(mc.crop_top_left, "crop_top_left");
  check_crop(mc.negative_crop_top_left, "negative_crop_top_left");
  check_score(mc.aesthetic_score, "aesthetic_score");
  check_score(mc.negative_aesthetic_score, "negative_aesthetic_score");
}

at::Tensor row(const std::vector<double>& values) {
  std::vector<float> v(values.begin(), values.end());
  return at::tensor(v, at::kFloat).reshape({1, static_cast<int64_t>(v.size())});
}

std::vector<double> base_row(PixelSize orig, CropTopLeft crop, PixelSize target) {
  return {double(orig.height), double(orig.width), double(crop.top), double(crop.left), double(target.height),
          double(target.width)};
}

}  // namespace

TimeIds base_time_ids(const MicroConditioning& mc, PixelSize image) {
  validate(mc, image);
  const PixelSize orig = mc.original_size.value_or(image), target = mc.target_size.value_or(image);
  TimeIds ids;
  ids.positive = row(base_row(orig, mc.crop_top_left.value_or(CropTopLeft{}), target));
  // diffusers StableDiffusionXLPipeline: negative ids only when both negative sizes are given.
  if (mc.negative_original_size && mc.negative_target_size)
    ids.negative = row(base_row(*mc.negative_original_size, mc.negative_crop_top_left.value_or(CropTopLeft{}),
                                *mc.negative_target_size));
  else
    ids.negative = ids.positive.clone();
  return ids;
}

TimeIds refiner_time_ids(const MicroConditioning& mc, PixelSize image) {
  validate(mc, image);
  const PixelSize orig = mc.original_size.value_or(image);
  const PixelSize neg_orig = mc.negative_original_size.value_or(orig);
  const CropTopLeft crop = mc.crop_top_left.value_or(CropTopLeft{});
  const CropTopLeft neg_crop = mc.negative_crop_top_left.value_or(CropTopLeft{});
  TimeIds ids;
  ids.positive = row({double(orig.height), double(orig.width), double(crop.top), double(crop.left),
                      mc.aesthetic_score.value_or(kDefaultAestheticScore)});
  ids.negative = row({double(neg_orig.height), double(neg_orig.width), double(neg_crop.top), double(neg_crop.left),
                      mc.negative_aesthetic_score.value_or(kDefaultNegativeAestheticScore)});
  return ids;
}

std::vector<std::string> micro_conditioning_warnings(const MicroConditioning& mc, TimeIdLayout layout) {
  std::vector<std::string> w;
  if (layout == TimeIdLayout::kBase) {
    const bool negative_used = mc.negative_original_size && mc.negative_target_size;
    if (!negative_used) {
      if (mc.negative_original_size)
        w.push_back("negative_original_size has no effect on the base model without negative_target_size");
      if (mc.negative_target_size)
        w.push_back("negative_target_size has no effect on the base model without negative_original_size");
      if (mc.negative_crop_top_left)
        w.push_back("negative_crop_top_left has no effect on the base model unless both negative_original_size "
                    "and negative_target_size are given");
    }
    if (mc.aesthetic_score) w.push_back("aesthetic_score has no effect on the base model (refiner only)");
    if (mc.negative_aesthetic_score)
      w.push_back("negative_aesthetic_score has no effect on the base model (refiner only)");
  } else {
    if (mc.target_size) w.push_back("target_size has no effect on the refiner (its time ids have no target size)");
    if (mc.negative_target_size)
      w.push_back("negative_target_size has no effect on the refiner (its time ids have no target size)");
  }
  return w;
}

}  // namespace sdxl
