#include "cli/request_flags.h"

#include <cerrno>
#include <cstdlib>

#include "common/error.h"
#include "sdxl/request.h"

namespace sdxl::cli {

// Typed JSON value of one flag's text; errors name the flag.
nlohmann::json RequestFlags::convert(const std::string& field, const std::string& v, Kind kind) {
  const char* s = v.c_str();
  char* end = nullptr;
  errno = 0;
  switch (kind) {
    case Kind::Int: {
      long long x = std::strtoll(s, &end, 10);
      if (v.empty() || *end || errno) throw usage_error(field, "'" + v + "' is not an integer");
      if (x < INT32_MIN || x > INT32_MAX) throw usage_error(field, v + " is out of range");
      return static_cast<int>(x);
    }
    case Kind::UInt: {
      if (!v.empty() && v[0] == '-') throw usage_error(field, "must not be negative, got " + v);
      unsigned long long x = std::strtoull(s, &end, 10);
      if (v.empty() || *end || errno) throw usage_error(field, "'" + v + "' is not a non-negative integer");
      return static_cast<uint64_t>(x);
    }
    case Kind::Double: {
      double x = std::strtod(s, &end);
      if (v.empty() || *end || errno == ERANGE) throw usage_error(field, "'" + v + "' is not a number");
      if (x != x) throw usage_error(field, "NaN is not allowed");
      return x;
    }
    case Kind::Bool:
    case Kind::String:
    case Kind::Size:
    case Kind::Pair:
      break;
  }
  return v;
}

void RequestFlags::add(CLI::App& app, const std::string& name, const std::string& field, Kind kind,
                       const std::string& help) {
  Flag& f = flags_[name];
  f.field = field;
  f.kind = kind;
  if (kind == Kind::Bool)
    f.option = app.add_flag(name, f.flag_set, help);
  else
    f.option = app.add_option(name, f.value, help);
  static const std::map<Kind, const char*> kTypeNames = {{Kind::String, "TEXT"}, {Kind::Int, "INT"},
                                                         {Kind::UInt, "UINT"},   {Kind::Double, "FLOAT"},
                                                         {Kind::Size, "WxH"},    {Kind::Pair, "TOP,LEFT"}};
  if (kind != Kind::Bool) f.option->type_name(kTypeNames.at(kind));
  f.option->group("Generation");
}

void RequestFlags::add_to(CLI::App& app) {
  add(app, "--prompt,-p", "prompt", Kind::String, "Prompt text");
  add(app, "--prompt-2", "prompt_2", Kind::String, "Prompt for text encoder 2 (default: --prompt)");
  add(app, "--negative-prompt,-n", "negative_prompt", Kind::String,
      "Negative prompt (absent: zero conditioning on the base model, as the reference)");
  add(app, "--negative-prompt-2", "negative_prompt_2", Kind::String, "Negative prompt for text encoder 2");
  add(app, "--size", "size", Kind::Size, "Image size WxH, multiples of 8 (default 1024x1024)");
  add(app, "--bucket", "bucket", Kind::Bool, "Snap --size to the nearest SDXL training bucket (same aspect ratio)");
  add(app, "--steps", "steps", Kind::Int, "Sampling steps (default 30)");
  add(app, "--cfg", "cfg", Kind::Double, "Classifier-free guidance scale; <= 1 disables CFG (default 5.0)");
  add(app, "--guidance-rescale", "guidance_rescale", Kind::Double, "Guidance rescale phi, Lin et al. 2023 (default 0)");
  add(app, "--sampler", "sampler", Kind::String,
      "One of: " + enum_names(kSamplerNames) + " (default: the model's scheduler class, euler for SDXL 1.0)");
  add(app, "--karras", "karras", Kind::Bool, "Karras sigmas (euler, euler_a, dpmpp_2m)");
  add(app, "--timestep-spacing", "timestep_spacing", Kind::String,
      "One of: " + enum_names(kSpacingNames) + " (sgm_uniform: ComfyUI's, euler/euler_a) (default: scheduler config, leading for SDXL)");
  add(app, "--prediction-type", "prediction_type", Kind::String,
      "One of: " + enum_names(kPredictionNames) + ": what the UNet predicts (default: scheduler config, epsilon for SDXL)");
  add(app, "--zero-terminal-snr", "zero_terminal_snr", Kind::Bool,
      "Rescale betas to zero terminal SNR, Lin et al. 2023 (default: scheduler config's rescale_betas_zero_snr)");
  add(app, "--seed", "seed", Kind::UInt, "Seed (default: random, printed and recorded)");
  add(app, "--num-images", "num_images", Kind::Int, "Images per prompt (default 1)");
  add(app, "--batch-noise", "batch_noise", Kind::String,
      "One of: " + enum_names(kBatchNoiseNames) +
          " (default per-image: image i is the single run with seed+i; shared: one generator, as the reference)");
  add(app, "--original-size", "original_size", Kind::Size, "Micro-conditioning original size WxH (default: --size)");
  add(app, "--target-size", "target_size", Kind::Size, "Micro-conditioning target size WxH (default: --size)");
  add(app, "--crop-top-left", "crop_top_left", Kind::Pair, "Micro-conditioning crop TOP,LEFT (default 0,0)");
  add(app, "--negative-original-size", "negative_original_size", Kind::Size, "Negative original size WxH");
  add(app, "--negative-target-size", "negative_target_size", Kind::Size, "Negative target size WxH");
  add(app, "--negative-crop-top-left", "negative_crop_top_left", Kind::Pair, "Negative crop TOP,LEFT");
  add(app, "--aesthetic-score", "aesthetic_score", Kind::Double, "Refiner aesthetic score (default 6.0)");
  add(app, "--negative-aesthetic-score", "negative_aesthetic_score", Kind::Double,
      "Refiner negative aesthetic score (default 2.5)");
  add(app, "--init-image", "init_image", Kind::String, "img2img: start from this PNG");
  add(app, "--strength", "strength", Kind::Double, "img2img strength (default 0.3; with --mask 0.9999)");
  add(app, "--mask", "mask", Kind::String, "Inpaint --init-image: PNG of its size, white = repaint, black = keep");
  add(app, "--mask-blur", "mask_blur", Kind::Int,
      "Gaussian blur of the mask, sigma in pixels (web UI rule; default 0)");
  add(app, "--keep-unmasked", "keep_unmasked", Kind::Bool, "Paste the original pixels back outside the mask");
  add(app, "--masked-content", "masked_content", Kind::String,
      "What the masked area starts from: one of " + enum_names(kMaskedContentNames) +
          " (default original; the web UI's default is fill)");
  add(app, "--inpaint-full-res", "inpaint_full_res", Kind::Bool,
      "Inpaint only the box around the mask, at --size, and paste it back (web UI \"only masked\")");
  add(app, "--inpaint-padding", "inpaint_padding", Kind::Int,
      "--inpaint-full-res: pixels around the mask's box (default 32)");
  add(app, "--outpaint", "outpaint", Kind::String,
      "Extend --init-image by LEFT,TOP,RIGHT,BOTTOM pixels (multiples of 8) and inpaint the new border");
  add(app, "--hires-scale", "hires_scale", Kind::Double,
      "Hires fix: second img2img pass at --size times this (sides rounded to multiples of 8)");
  add(app, "--hires-steps", "hires_steps", Kind::Int,
      "Hires fix: schedule length of the second pass (default: --steps)");
  add(app, "--hires-strength", "hires_strength", Kind::Double,
      "Hires fix: denoising strength of the second pass (default 0.5)");
  add(app, "--hires-upscaler", "hires_upscaler", Kind::String,
      "Hires fix: one of " + enum_names(kHiresUpscalerNames) + " (default latent: bilinear; lanczos: on pixels)");
  add(app, "--refiner-mode", "refiner_mode", Kind::String, "One of: " + enum_names(kRefinerModeNames) + " (default sdedit)");
  add(app, "--refiner-strength", "refiner_strength", Kind::Double, "sdedit refiner strength (default 0.3)");
  add(app, "--high-noise-frac", "high_noise_frac", Kind::Double, "expert hand-off point (default 0.8)");
  add(app, "--refiner-seed", "refiner_seed", Kind::UInt, "Seed of the refiner stage (default: the image's seed)");
  add(app, "--refiner-steps", "refiner_steps", Kind::Int, "sdedit: refiner schedule length (default: --steps)");
  add(app, "--long-prompt", "long_prompt", Kind::String,
      "One of: " + enum_names(kLongPromptNames) + " (default truncate, as the reference; chunk: 75-token chunks)");
  add(app, "--prompt-syntax", "prompt_syntax", Kind::String,
      "One of: " + enum_names(kPromptSyntaxNames) + " (default none: literal text; a1111: (word:1.2) emphasis, BREAK)");
  add(app, "--vae-tiling", "vae_tiling", Kind::Bool, "Decode in overlapping tiles (less memory at large sizes)");
  add(app, "--save-latents", "save_latents", Kind::String, "Write final latents to this .safetensors file");
  add(app, "--save-trajectory", "save_trajectory", Kind::Bool, "With --save-latents: also every step's latents");
  add(app, "--preview", "preview", Kind::String,
      "PNG of the current denoised estimate, replaced atomically while sampling (latent-to-RGB approximation at "
      "1/8 size, or full size with a tiny autoencoder: --preview-vae or a tiny --vae)");
  add(app, "--preview-every", "preview_every", Kind::Int, "Steps between --preview updates (default 1)");
}

nlohmann::json RequestFlags::given() const {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, f] : flags_) {
    if (f.option->count() == 0) continue;
    out[f.field] = f.kind == Kind::Bool ? nlohmann::json(f.flag_set) : convert(f.field, f.value, f.kind);
  }
  return out;
}

}  // namespace sdxl::cli
