// GenerationRequest: everything that determines an image, as a plain value. The CLI, prompt files and
// PNG metadata all round-trip through it (to_json/from_json), so a recorded request reproduces its image.
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace sdxl {

// Height first, like every tensor here; users write sizes as WxH, the parsers convert.
struct Size {
  int height = 0, width = 0;
  bool operator==(const Size& o) const { return height == o.height && width == o.width; }
};

// A LoRA / LyCORIS file to merge for a request (README "LoRA, VAE, embeddings").
struct LoraSpec {
  std::string path;
  double multiplier = 1.0;
  // Recorded by the pipeline when it reads the file (metadata only; not compared): sha256 of the whole file,
  // and the web UI's "Lora hashes" value (first 12 hex digits of the sha256 of the safetensors data section).
  std::string sha256, webui_hash;
  bool operator==(const LoraSpec& o) const { return path == o.path && multiplier == o.multiplier; }
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

  // Refiner stage (used when the pipeline has a refiner loaded).
  std::string refiner_mode = "sdedit";  // sdedit | expert
  double refiner_strength = 0.3;
  double high_noise_frac = 0.8;
  std::optional<uint64_t> refiner_seed;  // default: the image's seed
  std::optional<int> refiner_steps;      // sdedit: schedule length for the refiner (default: steps)

  // Adapters merged into the base model for this request (in order; jsonl: "loras": [{"path", "multiplier"}]).
  std::vector<LoraSpec> loras;

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
