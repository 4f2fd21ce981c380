// GenerationRequest: everything that determines an image, as a plain value of one struct per concern. The
// CLI, prompt files and PNG metadata all round-trip through it (to_json/request_from_json), so a recorded
// request reproduces its image. Options are enums with one name table each; the JSON keys are flat.
//
// Adding a field: a member of its concern's struct here, one line in the field table of
// src/pipeline/request.cpp (its flat JSON name, the member), and its checks in validate().
#pragma once
#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "sdxl/enum_table.h"
#include "sdxl/sampling_options.h"  // SamplerKind, TimestepSpacing, PredictionType and their name tables

namespace sdxl {

// Height first, like every tensor here; users write sizes as WxH, the parsers convert.
struct Size {
  int height = 0, width = 0;
  bool operator==(const Size& o) const { return height == o.height && width == o.width; }
};

// Where the noise of a batch comes from: image i from seed + i, sampled as its own single run (sdxl-gen's
// default), or one generator for the whole batch, sampled as one batch (the reference's num_images_per_prompt).
enum class BatchNoise { PerImage, Shared };
// The refiner hand-off (SDXL paper sec. 2.5): SDEdit re-noising of the base's image, or the ensemble of
// expert denoisers splitting one schedule at high_noise_frac.
enum class RefinerMode { SDEdit, Expert };
// Prompts beyond 77 tokens: cut (the reference) or encoded in 75-token chunks.
enum class LongPrompt { Truncate, Chunk };
// Prompt text: literal (the reference) or the web UI's (word:1.2) / [word] / BREAK syntax.
enum class PromptSyntaxMode { None, A1111 };

// The hires fix's upscaler (pipeline/hires.h): the web UI's latent interpolations, or Lanczos on pixels.
enum class HiresUpscaler { Latent, LatentNearestExact, LatentBicubic, Lanczos };

// What the masked area starts from before denoising (the web UI's "Masked content", its inpainting_fill 0..3
// in this order; pipeline/masked_content.h): the image with the area filled by blurred colours of its
// surroundings (masking.fill), the original image, latent noise, or zero latents. sdxl-gen's default is
// `original`, the reference inpainting pipeline's behaviour; the web UI's is `fill`.
enum class MaskedContent { Fill, Original, LatentNoise, LatentNothing };

// diffusers StableDiffusionXLInpaintPipeline's default strength (int(n * 0.9999) = n - 1 steps run, from the
// noised image rather than pure noise).
constexpr double kInpaintStrength = 0.9999;

inline constexpr std::array<EnumName<HiresUpscaler>, 4> kHiresUpscalerNames{{
    {HiresUpscaler::Latent, "latent"},
    {HiresUpscaler::LatentNearestExact, "latent-nearest-exact"},
    {HiresUpscaler::LatentBicubic, "latent-bicubic"},
    {HiresUpscaler::Lanczos, "lanczos"}}};
inline constexpr std::array<EnumName<MaskedContent>, 4> kMaskedContentNames{{
    {MaskedContent::Fill, "fill"},
    {MaskedContent::Original, "original"},
    {MaskedContent::LatentNoise, "latent-noise"},
    {MaskedContent::LatentNothing, "latent-nothing"}}};
inline constexpr std::array<EnumName<BatchNoise>, 2> kBatchNoiseNames{{
    {BatchNoise::PerImage, "per-image"}, {BatchNoise::Shared, "shared"}}};
inline constexpr std::array<EnumName<RefinerMode>, 2> kRefinerModeNames{{
    {RefinerMode::SDEdit, "sdedit"}, {RefinerMode::Expert, "expert"}}};
inline constexpr std::array<EnumName<LongPrompt>, 2> kLongPromptNames{{
    {LongPrompt::Truncate, "truncate"}, {LongPrompt::Chunk, "chunk"}}};
inline constexpr std::array<EnumName<PromptSyntaxMode>, 2> kPromptSyntaxNames{{
    {PromptSyntaxMode::None, "none"}, {PromptSyntaxMode::A1111, "a1111"}}};

// A LoRA / LyCORIS file to merge for a request (README "LoRA, VAE, embeddings").
struct LoraSpec {
  std::string path;
  double multiplier = 1.0;
  // Recorded by the pipeline when it reads the file (metadata only; not compared): sha256 of the whole file,
  // and the web UI's "Lora hashes" value (first 12 hex digits of the sha256 of the safetensors data section).
  std::string sha256, webui_hash;
  bool operator==(const LoraSpec& o) const { return path == o.path && multiplier == o.multiplier; }
};

// An image prompt (README "Image prompts (IP-Adapter)"): an IP-Adapter file, the image it reads, and the weight
// of its attention term (diffusers set_ip_adapter_scale). The image encoder is found beside the adapter file
// unless `image_encoder` names one.
struct IpAdapterSpec {
  std::string path, image;
  double scale = 1.0;
  std::optional<std::string> image_encoder;
  // Recorded by the pipeline (metadata only; not compared): sha256 of the adapter file and of the image file,
  // and the encoder used.
  std::string sha256, image_sha256, image_encoder_used;
  bool operator==(const IpAdapterSpec& o) const {
    return path == o.path && image == o.image && scale == o.scale && image_encoder == o.image_encoder;
  }
};

// A textual-inversion embedding a request's prompts used (recorded in PNG metadata, README "LoRA, VAE,
// embeddings"): the prompt word, its file and the sha256 of the whole file (the web UI's "TI hashes" take
// its first 12 hex digits).
struct EmbeddingUse {
  std::string name, path, sha256;
};

// A control model steering a request (README "ControlNet"; jsonl "controls": [{"model", "image", "scale", "start",
// "end", "preprocess", "config"}]): its residuals times `scale` are added during the steps i of n with
// start <= i/n and (i+1)/n <= end (diffusers' control_guidance_start / _end).
struct ControlSpec {
  std::string model;              // ControlNet folder or .safetensors
  std::string image;              // control image (PNG), resized to the output size
  double scale = 1.0, start = 0.0, end = 1.0;
  std::string preprocess = "none";  // none | canny[:LOW,HIGH]
  std::string config;             // diffusers config folder for a single file whose shape cannot be inferred
  // Recorded by the pipeline (metadata only; not compared): the model's short hash and the image's sha256.
  std::string model_hash, image_sha256;
  bool operator==(const ControlSpec& o) const {
    return model == o.model && image == o.image && scale == o.scale && start == o.start && end == o.end &&
           preprocess == o.preprocess && config == o.config;
  }
};

// Outpainting's margins in pixels (multiples of 8, not all zero), added around the init image. Written
// "LEFT,TOP,RIGHT,BOTTOM" in flags, prompt files and metadata; parsed once, when the request is read.
struct OutpaintEdges {
  int left = 0, top = 0, right = 0, bottom = 0;
  bool operator==(const OutpaintEdges& o) const {
    return left == o.left && top == o.top && right == o.right && bottom == o.bottom;
  }
};

// The request is one struct per concern, each with the reference's defaults (as stable-diffusion.cpp's
// sd_img_gen_params_t holds sd_sample_params_t and sd_hires_params_t). The JSON names stay flat (the field
// table in src/pipeline/request.cpp maps each to its member), so prompt files and old PNGs read unchanged.

// Text (diffusers encode_prompt semantics: absent != "" for the negative prompt).
struct TextParams {
  std::string prompt;
  std::optional<std::string> prompt_2, negative_prompt, negative_prompt_2;
  LongPrompt long_prompt = LongPrompt::Truncate;
  PromptSyntaxMode prompt_syntax = PromptSyntaxMode::None;
};

// Image and sampling. Defaults follow the reference SDXL pipeline (diffusers StableDiffusionXLPipeline).
struct SamplingParams {
  Size size{1024, 1024};
  bool bucket = false;  // snap size to the nearest SDXL training bucket by aspect ratio (applied by the planner)
  int steps = 30;
  double cfg = 5.0;
  double guidance_rescale = 0.0;
  SamplerKind sampler = SamplerKind::Euler;
  bool karras = false;
  std::optional<TimestepSpacing> timestep_spacing;  // default: the scheduler config's
  // What the UNet predicts and zero-terminal-SNR beta rescaling (default: the model's scheduler config; the
  // pipeline records the values it used in GenerationResult::request).
  std::optional<PredictionType> prediction_type;
  std::optional<bool> zero_terminal_snr;
  std::optional<uint64_t> seed;  // absent: drawn at random, then recorded
  int num_images = 1;
  BatchNoise batch_noise = BatchNoise::PerImage;
};

// Micro-conditioning (SDXL paper sec. 2.2); absent = the reference defaults.
struct MicroConditioningParams {
  std::optional<Size> original_size, target_size, negative_original_size, negative_target_size;
  std::optional<std::pair<int, int>> crop_top_left, negative_crop_top_left;
  double aesthetic_score = 6.0, negative_aesthetic_score = 2.5;
};

// img2img (SDEdit on the base model, or on a refiner given as the model); inpainting uses the same strength.
struct Img2ImgParams {
  std::optional<std::string> init_image;
  double strength = 0.3;
};

// Inpainting (with init_image; white = repaint, black = keep). A request that sets a mask (or outpaint)
// without a strength gets the reference inpainting pipeline's 0.9999.
struct InpaintParams {
  std::optional<std::string> mask;
  int mask_blur = 0;           // Gaussian sigma in pixels, as the web UIs (0 = off)
  bool keep_unmasked = false;  // paste the original pixels back outside the (blurred) mask
  MaskedContent masked_content = MaskedContent::Original;  // the masked area's initial content
  // "Only masked" (web UIs): inpaint the box around the mask, padded by `padding` pixels and widened to the
  // aspect of `size`, at `size`, then paste it back (the image may then be of any size). JSON:
  // inpaint_full_res, inpaint_padding.
  bool full_res = false;
  int padding = 32;
  // Outpainting: margins added around init_image, which is then inpainted with a generated mask (no `mask`);
  // the output size is the extended canvas.
  std::optional<OutpaintEdges> outpaint;
};

// Hires fix: a second img2img pass at size * scale (sides rounded to multiples of 8), from the first pass
// upscaled by `upscaler`. JSON: hires_scale, hires_steps, hires_strength, hires_upscaler.
struct HiresParams {
  std::optional<double> scale;
  std::optional<int> steps;  // default: the request's steps
  double strength = 0.5;
  HiresUpscaler upscaler = HiresUpscaler::Latent;
};

// Refiner stage (used when the pipeline has a refiner loaded). JSON: refiner_mode, refiner_strength,
// high_noise_frac, refiner_seed, refiner_steps.
struct RefinerParams {
  RefinerMode mode = RefinerMode::SDEdit;
  double strength = 0.3;
  double high_noise_frac = 0.8;
  std::optional<uint64_t> seed;  // default: the image's seed
  std::optional<int> steps;      // sdedit: schedule length for the refiner (default: the request's steps)
};

// Adapters for this request.
struct AdapterParams {
  // Merged into the base model (in order; jsonl: "loras": [{"path", "multiplier"}]).
  std::vector<LoraSpec> loras;
  // Image prompts on the base model's passes (jsonl: "ip_adapters": [{"path", "image", "scale"}]).
  std::vector<IpAdapterSpec> ip_adapters;
  // Control models (summed, each with its image and step range) and guess mode (diffusers' guess_mode: with
  // CFG the control sees the conditional half only; residuals weighted from 0.1 at the shallowest skip to 1).
  std::vector<ControlSpec> controls;
  bool control_guess_mode = false;
};

// Outputs besides the image.
struct OutputParams {
  bool vae_tiling = false;
  std::optional<std::string> save_latents;
  bool save_trajectory = false;
  // A PNG of the current denoised estimate, replaced every `preview_every` steps (and after the last).
  std::optional<std::string> preview;
  int preview_every = 1;
};

// Input images held in memory instead of files (a server's uploads), by the name the request's init_image or
// mask gives in place of a path: such an image is decoded from these bytes (a PNG or JPEG, as a file would be)
// and no file is opened (src/pipeline/input_image.h). Not part of the JSON form: PNG metadata records the name.
// Shared, so copies of a request share the bytes.
using InputImages = std::map<std::string, std::shared_ptr<const std::string>>;

struct GenerationRequest {
  TextParams text;
  SamplingParams sampling;
  MicroConditioningParams micro;
  Img2ImgParams img2img;
  InpaintParams inpaint;
  HiresParams hires;
  RefinerParams refiner;
  AdapterParams adapters;
  OutputParams output;
  InputImages input_images;
};

const char* to_string(HiresUpscaler v);
const char* to_string(MaskedContent v);
const char* to_string(BatchNoise v);
const char* to_string(RefinerMode v);
const char* to_string(LongPrompt v);
const char* to_string(PromptSyntaxMode v);
std::string to_string(const OutpaintEdges& e);  // "LEFT,TOP,RIGHT,BOTTOM"

// Field names accepted in prompt-file lines and PNG metadata (flat JSON keys, sizes as "WxH" strings, crops
// as "TOP,LEFT", outpaint margins as "LEFT,TOP,RIGHT,BOTTOM", options by name).
const std::set<std::string>& request_fields();
nlohmann::json to_json(const GenerationRequest& r);
// Overrides the fields present in `j` on top of `base`; unknown fields and bad values throw a usage
// sdxl::Error naming the field.
GenerationRequest request_from_json(const nlohmann::json& j, const GenerationRequest& base);
// Checks ranges and combinations (size multiple of 8, steps >= 1, finite cfg, karras with ddim...); usage
// errors naming the field.
void validate(const GenerationRequest& r);

}  // namespace sdxl
