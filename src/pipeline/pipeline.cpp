// Pipeline: txt2img / img2img with the SDXL base (or a refiner used alone), and the two refiner hand-offs
// (SDXL paper sec. 2.5): "sdedit" re-noises the base latents to `refiner_strength` of the refiner's
// schedule (diffusers img2img get_timesteps + add_noise), "expert" splits one schedule at high_noise_frac
// (diffusers denoising_end / denoising_start). Every random draw comes from CPU generators seeded by the
// request, in the reference's order.
#include "sdxl/pipeline.h"

#include "common/error.h"
#include "common/stopwatch.h"
#include "io/lanczos.h"
#include "io/png.h"
#include "pipeline/aspect_buckets.h"
#include "pipeline/conditioning.h"
#include "pipeline/denoise.h"
#include "pipeline/hires.h"
#include "pipeline/inpaint.h"
#include "pipeline/inpaint_mask.h"
#include "pipeline/model_set.h"
#include "sampling/sampler_kind.h"
#include "sampling/schedule.h"
#include "vae/postprocess.h"

namespace sdxl {
namespace {

NoiseSource make_noise(const GenerationRequest& r, uint64_t seed) {
  return r.batch_noise == "shared" ? NoiseSource::batched(seed) : NoiseSource::per_image(seed, r.num_images);
}

Schedule full_schedule(const GenerationRequest& r, int steps, const SchedulerConfig& config) {
  std::optional<TimestepSpacing> spacing;
  if (r.timestep_spacing) spacing = parse_timestep_spacing(*r.timestep_spacing, "--timestep-spacing");
  return make_schedule(parse_sampler(r.sampler, "--sampler"), steps, config, r.karras, spacing);
}

}  // namespace

struct Pipeline::Impl {
  PipelineOptions options;
  Placement placement;
  std::unique_ptr<ModelSet> base, refiner;

  // Everything up front, unless --low-memory: then each stage loads its model and drops it when done.
  void load_all() {
    base->ensure_text();
    base->ensure_unet();
    if (base->has_vae()) base->ensure_vae();
    if (refiner) {
      refiner->ensure_text();
      refiner->ensure_unet();
    }
  }
  AutoencoderKL& vae() {
    if (base->has_vae() || !refiner) return base->ensure_vae();
    return refiner->ensure_vae();
  }

  // The noised starting latents of img2img: VAE posterior sample (its noise drawn first), scaled,
  // then add_noise at the first remaining timestep (diffusers prepare_latents).
  at::Tensor img2img_start(const GenerationRequest& r, Sampler& sampler, NoiseSource& noise,
                           const io::Image* loaded = nullptr) {
    io::Image image = loaded ? *loaded : io::read_png(*r.init_image);
    if (image.width != r.size.width || image.height != r.size.height)
      throw Error("--init-image " + *r.init_image + " is " + std::to_string(image.width) + "x" +
                  std::to_string(image.height) + " but --size is " + std::to_string(r.size.width) + "x" +
                  std::to_string(r.size.height) + " (resize it or pass its size)");
    at::Tensor pixels = uint8_to_image(io::to_tensor(image)).repeat({r.num_images, 1, 1, 1});
    at::Tensor init = encode_init_image(vae(), pixels, noise, latent_options());
    at::Tensor eps = noise.randn(init.sizes(), init.options());
    return sampler.add_noise(init, eps, 0);
  }
  at::TensorOptions latent_options() const {
    return at::TensorOptions().device(placement.device).dtype(placement.dtype);
  }

  // Hires fix (pipeline/hires.h): the first pass's latents upscaled (latent upscalers) or decoded, resized
  // with Lanczos in 8 bits and encoded as an init image, then noised to hires_strength with a generator
  // seeded like the first pass's and denoised at `final_r`'s size.
  at::Tensor hires_pass(const GenerationRequest& r, const GenerationRequest& final_r, at::Tensor latents,
                        UNet2DConditionModel& unet, DenoiseOptions dopt, GenerationResult& result) {
    const HiresUpscaler upscaler = parse_hires_upscaler(r.hires_upscaler, "--hires-upscaler");
    const int64_t B = latents.size(0);
    UNetConditioning cond = build_conditioning(*base, final_r, B, &result.warnings);
    if (options.low_memory) base->release_text();
    Schedule schedule = with_strength(full_schedule(r, r.hires_steps.value_or(r.steps), base->scheduler),
                                      r.hires_strength);
    if (schedule.empty())
      throw Error("--hires-strength " + std::to_string(r.hires_strength) + " leaves no denoising steps");
    Sampler sampler(schedule);
    NoiseSource noise = make_noise(r, *r.seed);
    at::Tensor start;
    if (upscaler == HiresUpscaler::Lanczos) {
      VaeTiling tiling;
      tiling.enabled = r.vae_tiling;
      std::vector<at::Tensor> pixels;
      for (int64_t i = 0; i < B; ++i) {
        at::Tensor small = image_to_uint8(vae()->decode(latents.narrow(0, i, 1), tiling))[0];
        io::Image big = io::lanczos_resize(io::from_tensor(small), final_r.size.width, final_r.size.height);
        pixels.push_back(uint8_to_image(io::to_tensor(big)));
      }
      start = encode_init_image(vae(), at::cat(pixels), noise, latent_options());
    } else {
      start = upscale_latents(latents, final_r.size, upscaler);
    }
    at::Tensor eps = noise.randn(start.sizes(), start.options());
    return denoise(unet, sampler, sampler.add_noise(start, eps, 0), cond, noise, dopt);
  }
};

Pipeline::Pipeline(const PipelineOptions& options) : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.options = options;
  m.placement = resolve_placement(options.device, options.dtype, options.vae_dtype);
  m.base = std::make_unique<ModelSet>(options.model, options.config_dir, m.placement);
  if (m.base->kind == ModelKind::Refiner && !options.refiner.empty())
    throw Error("--model " + options.model + " is a refiner; --refiner needs a base model as --model");
  if (!options.refiner.empty())
    m.refiner = std::make_unique<ModelSet>(options.refiner, options.refiner_config_dir, m.placement, m.base.get());
  if (!options.low_memory) m.load_all();
}

Pipeline::~Pipeline() = default;

std::string Pipeline::model_name() const { return impl_->options.model; }
bool Pipeline::is_refiner_model() const { return impl_->base->kind == ModelKind::Refiner; }
bool Pipeline::has_refiner() const { return !impl_->options.refiner.empty(); }
double Pipeline::load_s() const { return impl_->base->load_s + (impl_->refiner ? impl_->refiner->load_s : 0); }

GenerationResult Pipeline::generate(const GenerationRequest& request, const ProgressCallback& progress) {
  c10::InferenceMode inference;
  Impl& m = *impl_;
  GenerationResult result;
  result.request = request;
  validate(result.request);
  GenerationRequest& r = result.request;
  if (!r.seed) throw Error("generate: the request has no seed (the CLI draws one)");
  const uint64_t seed = *r.seed;
  result.warnings = size_warnings(r.size);
  const int64_t B = r.num_images;
  for (int64_t i = 0; i < B; ++i) result.seeds.push_back(r.batch_noise == "shared" ? seed : seed + i);
  auto report = [&](const char* stage, int step, int total) {
    if (progress) progress(Progress{stage, step, total, 0, static_cast<int>(B)});
  };

  ModelSet& base = *m.base;
  const bool low_memory = m.options.low_memory;
  const bool img2img = r.init_image.has_value();
  if (base.kind == ModelKind::Refiner && !img2img)
    throw Error("--model is a refiner checkpoint: it only refines images, give one with --init-image");
  if ((r.mask || r.outpaint) && !img2img)
    throw Error(std::string(r.mask ? "--mask" : "--outpaint") +
                " needs the image to inpaint: give it with --init-image");
  // Inpainting (pipeline/inpaint.h): an all-white mask keeps nothing, so it is plain img2img.
  std::optional<MaskedImage> masked;
  if (r.mask || r.outpaint) {
    masked = load_masked_image(r);
    r.size = Size{masked->image.height, masked->image.width};  // outpainting: the canvas
    if (masked->all_white) result.warnings.push_back("--mask is all white: nothing to keep, running plain img2img");
  }
  const bool inpaint = masked && !masked->all_white;

  // 1. Text and micro-conditioning for the first stage.
  Stopwatch timer;
  report("encode", 0, 0);
  UNetConditioning cond = build_conditioning(base, r, B, &result.warnings);
  if (low_memory) base.release_text();
  result.encode_s = timer.seconds();

  // 2. First stage: txt2img, or img2img on an init image. (Loading is not part of the stage's time.)
  UNet2DConditionModel& unet = base.ensure_unet();
  const int64_t unet_in = unet->config().in_channels;
  if (!inpaint && unet_in != 4)
    throw Error("--model " + m.options.model + " has an inpainting UNet (" + std::to_string(unet_in) +
                " input channels): give --init-image and a --mask with something to repaint");
  timer.restart();
  Schedule schedule = full_schedule(r, r.steps, base.scheduler);
  const bool expert = !m.options.refiner.empty() && r.refiner_mode == "expert";
  if (img2img) schedule = with_strength(schedule, r.strength);
  if (expert) schedule = with_denoising_end(schedule, r.high_noise_frac);
  Sampler sampler(schedule);
  NoiseSource noise = make_noise(r, seed);
  const int64_t h = r.size.height / 8, w = r.size.width / 8;
  const auto latent_options = m.latent_options();
  at::Tensor latents;
  DenoiseOptions dopt;
  if (img2img) {
    if (schedule.empty()) throw Error("--strength " + std::to_string(r.strength) + " leaves no denoising steps");
    if (inpaint) {
      InpaintInputs in{uint8_to_image(io::to_tensor(masked->image)).repeat({B, 1, 1, 1}), masked->binary};
      Inpainting inpainting(in, unet_in, m.vae(), sampler, noise, latent_options, r.strength == 1.0);
      latents = inpainting.start_latents();
      inpainting.install(dopt, sampler, uses_cfg(r.cfg));
    } else {
      latents = m.img2img_start(r, sampler, noise, masked ? &masked->image : nullptr);
    }
  } else {
    latents = noise.randn({B, 4, h, w}, latent_options) * sampler.init_noise_sigma();
  }
  dopt.cfg = r.cfg;
  dopt.guidance_rescale = r.guidance_rescale;
  dopt.trajectory = r.save_trajectory ? &result.trajectory : nullptr;
  dopt.on_step = [&](int step, int total) { report("base", step, total); };
  latents = denoise(unet, sampler, latents, cond, noise, dopt);
  GenerationRequest final_r = r;  // the size the image ends at: micro-conditioning of the later stages
  if (r.hires_scale) {
    final_r.size = hires_size(r.size, *r.hires_scale);
    if (std::abs(r.size.width * *r.hires_scale - final_r.size.width) > 1e-9 ||
        std::abs(r.size.height * *r.hires_scale - final_r.size.height) > 1e-9)
      result.warnings.push_back("--hires-scale " + std::to_string(*r.hires_scale) + ": second pass at " +
                                std::to_string(final_r.size.width) + "x" + std::to_string(final_r.size.height) +
                                " (each side rounded to a multiple of 8)");
    result.base_latents = latents.to(at::kCPU, at::kFloat);  // the first pass's
    dopt.on_step = [&](int step, int total) { report("hires", step, total); };
    latents = m.hires_pass(r, final_r, latents, unet, dopt, result);
  }
  if (low_memory) base.release_unet();
  result.base_s = timer.seconds();

  // 3. Refiner: its own conditioning (encoder 2, aesthetic score) and its own generator.
  if (!m.options.refiner.empty()) {
    timer.restart();
    result.base_latents = latents.to(at::kCPU, at::kFloat);
    ModelSet& ref = *m.refiner;
    UNetConditioning rcond = build_conditioning(ref, final_r, B, &result.warnings);
    if (low_memory) ref.release_text();
    NoiseSource rnoise = make_noise(r, r.refiner_seed.value_or(seed));
    Schedule rschedule = full_schedule(r, expert ? r.steps : r.refiner_steps.value_or(r.steps), ref.scheduler);
    rschedule = expert ? with_denoising_start(rschedule, r.high_noise_frac) : with_strength(rschedule, r.refiner_strength);
    Sampler rsampler(rschedule);
    if (!expert && !rschedule.empty()) {
      at::Tensor eps = rnoise.randn(latents.sizes(), latents.options());
      latents = rsampler.add_noise(latents, eps, 0);
    }
    dopt.on_step = [&](int step, int total) { report("refiner", step, total); };
    dopt.extra_input = at::Tensor();  // the refiner refines the whole image (keep-unmasked pastes afterwards)
    dopt.after_step = nullptr;
    UNet2DConditionModel& refiner_unet = ref.ensure_unet();
    latents = denoise(refiner_unet, rsampler, latents, rcond, rnoise, dopt);
    if (low_memory) ref.release_unet();
    result.refiner_s = timer.seconds();
  }

  // 4. Decode one image at a time (bounded memory), then 8-bit as the reference rounds.
  timer.restart();
  result.latents = latents.to(at::kCPU, at::kFloat);
  AutoencoderKL& vae = m.vae();
  VaeTiling tiling;
  tiling.enabled = r.vae_tiling;
  std::vector<at::Tensor> decoded;
  for (int64_t i = 0; i < B; ++i) {
    report("decode", static_cast<int>(i), static_cast<int>(B));
    decoded.push_back(vae->decode(latents.narrow(0, i, 1), tiling).to(at::kCPU, at::kFloat));
  }
  result.decoded = at::cat(decoded);
  result.images = image_to_uint8(result.decoded);
  if (masked && masked->full_res)
    result.images = paste_full_res(result.images, *masked->full_res, r.keep_unmasked);
  else if (masked && r.keep_unmasked)
    result.images = paste_unmasked(result.images, io::to_tensor(masked->image), overlay_alpha(masked->luminance));
  result.decode_s = timer.seconds();
  return result;
}

}  // namespace sdxl
