// SDXL micro-conditioning (SDXL paper sec. 2.2; diffusers v0.27.2 StableDiffusionXL(Img2Img)Pipeline
// _get_add_time_ids): the "time ids" vector the UNet embeds next to the pooled text embedding.
//   base    [orig_h, orig_w, crop_top, crop_left, target_h, target_w]
//   refiner [orig_h, orig_w, crop_top, crop_left, aesthetic_score]
// Every size is (height, width), in that order, everywhere.
#pragma once
#include <ATen/ATen.h>

#include <optional>
#include <string>
#include <vector>

namespace sdxl {

struct PixelSize {
  int64_t height = 0, width = 0;
};

struct CropTopLeft {
  int64_t top = 0, left = 0;
};

// What the user asked for; absent values take the reference pipeline's defaults (see the functions below).
struct MicroConditioning {
  std::optional<PixelSize> original_size;   // default: the generated image size
  std::optional<CropTopLeft> crop_top_left;  // default: (0, 0)
  std::optional<PixelSize> target_size;     // default: the generated image size (base only)
  std::optional<double> aesthetic_score;    // default 6.0 (refiner only)
  std::optional<PixelSize> negative_original_size;
  std::optional<CropTopLeft> negative_crop_top_left;  // default (0, 0), never the positive crop
  std::optional<PixelSize> negative_target_size;
  std::optional<double> negative_aesthetic_score;  // default 2.5 (refiner only)
};

constexpr double kDefaultAestheticScore = 6.0;
constexpr double kDefaultNegativeAestheticScore = 2.5;

// float32 [1, n] rows on the CPU: the time ids for the conditional (positive) and unconditional (negative)
// UNet batch halves.
struct TimeIds {
  at::Tensor positive, negative;
};

// Base model (txt2img rule): original/target size default to `image`, crop to (0,0). The negative ids equal the
// positive ids unless BOTH negative_original_size and negative_target_size are given; then they are
// [neg_orig, neg_crop (default (0,0)), neg_target]. Throws sdxl::Error for a non-positive size or negative crop.
TimeIds base_time_ids(const MicroConditioning& mc, PixelSize image);

// Refiner (img2img with aesthetic score): [orig, crop, aesthetic 6.0] and [neg_orig (default orig),
// neg_crop (default (0,0)), negative aesthetic 2.5]. `image` = latent size x 8. Target sizes are not used.
TimeIds refiner_time_ids(const MicroConditioning& mc, PixelSize image);

// Which time-id layout a UNet consumes.
enum class TimeIdLayout { kBase, kRefiner };

// One line per setting in `mc` that has no effect under `layout` (e.g. only negative_original_size given to
// the base, or aesthetic scores given to the base, or target sizes given to the refiner).
std::vector<std::string> micro_conditioning_warnings(const MicroConditioning& mc, TimeIdLayout layout);

}  // namespace sdxl
