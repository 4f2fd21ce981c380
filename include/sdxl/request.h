// GenerationRequest: everything that determines an image, as a plain value. The CLI, prompt files and
// PNG metadata all round-trip through it (to_json/from_json), so a recorded request reproduces its image.
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <utility>

namespace sdxl {

// Height first, like every tensor here; users write sizes as WxH, the parsers convert.
struct Size {
  int height = 0, width = 0;
  bool operator==(const Size& o) const { return height == o.height && width == o.width; }
};

// diffusers StableDiffusionXLInpaintPipeline's default strength (int(n * 0.9999) = n - 1 steps run, from the
// noised image rather than pure noise).
constexpr double kInpaintStrength = 0.9999;

struct GenerationRequest {
  // Text (diffusers encode_prompt semantics: absent != "" for the negative prompt).
  std::string prompt;
  std::optional<std::string> prompt_2, negative_prompt, negative_prompt_2;
  std::string long_prompt = "truncate";  // truncate | chunk
  std::string prompt_syntax = "none";    // none | a1111 (emphasis weights, BREAK)

  // Image and sampling. Defaults follow the reference SDXL pipeline (diffusers StableDiffusionXLPipeline).
  Size size{1024, 1024};
  bool bucket = false;  // snap size to the nearest SDXL training bucket by aspect ratio (applied by the planner)
  int steps = 30;
  double cfg = 5.0;
  double guidance_rescale = 0.0;
  std::string sampler = "euler";             // ddim | euler | euler_a | dpmpp_2m
  bool karras = false;
  std::optional<std::string> timestep_spacing;  // leading | trailing | linspace (default: scheduler config)
  std::optional<uint64_t> seed;              // absent: drawn at random, then recorded
  int num_images = 1;
  std::string batch_noise = "per-image";     // per-image (image i uses seed+i) | shared (one generator, reference)

  // Micro-conditioning (SDXL paper sec. 2.2); absent = the reference defaults.
  std::optional<Size> original_size, target_size, negative_original_size, negative_target_size;
  std::optional<std::pair<int, int>> crop_top_left, negative_crop_top_left;
  double aesthetic_score = 6.0, negative_aesthetic_score = 2.5;

  // img2img (SDEdit on the base model, or on a refiner given as the model).
  std::optional<std::string> init_image;
  double strength = 0.3;

  // Inpainting (with init_image; white = repaint, black = keep). A request that sets a mask (or outpaint)
  // without a strength gets the reference inpainting pipeline's 0.9999.
  std::optional<std::string> mask;
  int mask_blur = 0;           // Gaussian sigma in pixels, as the web UIs (0 = off)
  bool keep_unmasked = false;  // paste the original pixels back outside the (blurred) mask
  // "Only masked" (web UIs): inpaint the box around the mask, padded by inpaint_padding pixels and widened
  // to the aspect of `size`, at `size`, then paste it back (the image may then be of any size).
  bool inpaint_full_res = false;
  int inpaint_padding = 32;
  // Outpainting: "LEFT,TOP,RIGHT,BOTTOM" pixels (multiples of 8) added around init_image, which is then
  // inpainted with a generated mask (no `mask`); the output size is the extended canvas.
  std::optional<std::string> outpaint;

  // Hires fix: a second img2img pass at size * hires_scale (sides rounded to multiples of 8), from the
  // first pass upscaled by hires_upscaler (latent | latent-nearest-exact | latent-bicubic | lanczos).
  std::optional<double> hires_scale;
  std::optional<int> hires_steps;  // default: steps
  double hires_strength = 0.5;
  std::string hires_upscaler = "latent";

  // Refiner stage (used when the pipeline has a refiner loaded).
  std::string refiner_mode = "sdedit";  // sdedit | expert
  double refiner_strength = 0.3;
  double high_noise_frac = 0.8;
  std::optional<uint64_t> refiner_seed;  // default: the image's seed
  std::optional<int> refiner_steps;      // sdedit: schedule length for the refiner (default: steps)

  // Outputs besides the image.
  bool vae_tiling = false;
  std::optional<std::string> save_latents;
  bool save_trajectory = false;
};

// Field names accepted in prompt-file lines and PNG metadata (JSON keys = struct member names,
// sizes as "WxH" strings, crops as "TOP,LEFT").
const std::set<std::string>& request_fields();
nlohmann::json to_json(const GenerationRequest& r);
// Overrides the fields present in `j` on top of `base`; unknown fields and bad values throw sdxl::Error
// naming the field.
GenerationRequest request_from_json(const nlohmann::json& j, const GenerationRequest& base);
// Checks ranges and combinations (size multiple of 8, steps >= 1, finite cfg, known sampler...).
void validate(const GenerationRequest& r);

}  // namespace sdxl
