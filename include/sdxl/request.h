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
  std::string sampler = "euler";             // ddim | euler | euler_a | dpmpp_2m | lcm
  bool karras = false;
  std::optional<std::string> timestep_spacing;  // leading | trailing | linspace (default: scheduler config)
  // What the UNet predicts and zero-terminal-SNR beta rescaling (default: the model's scheduler config; the
  // pipeline records the values it used in GenerationResult::request).
  std::optional<std::string> prediction_type;  // epsilon | v_prediction | sample
  std::optional<bool> zero_terminal_snr;
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
  // A PNG of the current denoised estimate, replaced every `preview_every` steps (and after the last).
  std::optional<std::string> preview;
  int preview_every = 1;
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
