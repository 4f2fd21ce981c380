// Pipeline::generate: the stages of a request in order, each a function over values (Impl below): encode
// prompts -> conditioning; first pass (txt2img / img2img / inpainting), hires pass and refiner pass, each
// latents -> latents; decode. The refiner's two hand-offs follow the SDXL paper (sec. 2.5): "sdedit"
// re-noises the base latents to `refiner_strength` of the refiner's schedule (diffusers img2img
// get_timesteps + add_noise), "expert" splits one schedule at high_noise_frac (diffusers denoising_end /
// denoising_start). Every random draw comes from CPU generators seeded by the request, in the reference's
// order. Which autoencoder encodes and decodes is pipeline/vae_choice.h's business; loading the control models
// and building each pass's control stage is pipeline/control_models.h's.
#include "sdxl/pipeline.h"

#include "adapters/adapter_session.h"
#include "adapters/embeddings.h"
#include "adapters/prompt_tags.h"
#include "common/error.h"
#include "common/stopwatch.h"
#include "io/lanczos.h"
#include "io/png.h"
#include "pipeline/aspect_buckets.h"
#include "pipeline/conditioning.h"
#include "pipeline/control_models.h"
#include "pipeline/denoise.h"
#include "pipeline/hires.h"
#include "pipeline/image_prompts.h"
#include "pipeline/inpaint.h"
#include "pipeline/inpaint_mask.h"
#include "pipeline/input_image.h"
#include "pipeline/model_set.h"
#include "pipeline/reproducible.h"
#include "pipeline/vae_choice.h"
#include "sampling/sampler_kind.h"
#include "sampling/schedule.h"
#include "vae/postprocess.h"

namespace sdxl {
namespace {

// The model's scheduler config with the request's overrides (prediction type, zero-terminal-SNR rescaling).
SchedulerConfig effective_scheduler(const GenerationRequest& r, SchedulerConfig config) {
  if (r.sampling.prediction_type) config.prediction_type = *r.sampling.prediction_type;
  if (r.sampling.zero_terminal_snr) config.rescale_betas_zero_snr = *r.sampling.zero_terminal_snr;
  return config;
}

Schedule full_schedule(const GenerationRequest& r, int steps, const SchedulerConfig& model_config) {
  return make_schedule(r.sampling.sampler, steps, effective_scheduler(r, model_config), r.sampling.karras,
                       r.sampling.timestep_spacing);
}

// Records the schedule settings the first stage ran with, so that metadata and `info` show them.
void record_schedule(GenerationRequest& r, const Schedule& s, const SchedulerConfig& model_config) {
  r.sampling.zero_terminal_snr = effective_scheduler(r, model_config).rescale_betas_zero_snr;
  r.sampling.timestep_spacing = s.spacing;
  r.sampling.prediction_type = s.prediction_type;
}

const char* dtype_name(at::ScalarType t) {
  return t == at::kHalf ? "fp16" : t == at::kBFloat16 ? "bf16" : "fp32";
}

// The base UNet's cross-attention shapes, which an IP-Adapter must fit: from the loaded model, else from a
// meta-device model built from its config (no weights read).
std::vector<CrossAttentionShape> unet_cross_attention(ModelSet& base) {
  if (base.unet) return cross_attention_shapes(*base.unet);
  const ComponentWeights& c = base.checkpoint.components.at("unet");
  UNet2DConditionModel meta(UNetConfig::from_json(c.config, c.config_source), at::TensorOptions().device(at::kMeta));
  return cross_attention_shapes(*meta);
}

nlohmann::json runtime_info(const Placement& p) {
  return {{"device", p.device.str()}, {"dtype", dtype_name(p.dtype)}, {"vae_dtype", dtype_name(p.vae_dtype)}};
}

}  // namespace

struct Pipeline::Impl {
  // One pass of the stages over `batch` images drawn from `seed` (and `refiner_seed`): the whole batch for
  // shared noise (the reference's num_images_per_prompt), or one image for per-image noise, so that image i
  // of a batch runs exactly as a single run with seed + i (same shapes, same kernels, same bits).
  struct Pass {
    uint64_t seed, refiner_seed;
    int64_t batch, first_image;
    at::Tensor latents;
    std::vector<at::Tensor> trajectory;
  };

  // The passes of a request and each image's seed in `seeds`.
  static std::vector<Pass> plan_passes(const GenerationRequest& r, std::vector<uint64_t>* seeds) {
    const uint64_t seed = *r.sampling.seed, refiner_seed = r.refiner.seed.value_or(seed);
    const int64_t B = r.sampling.num_images;
    const bool shared_noise = r.sampling.batch_noise == BatchNoise::Shared;
    for (int64_t i = 0; i < B; ++i) seeds->push_back(shared_noise ? seed : seed + i);
    std::vector<Pass> passes;
    if (shared_noise) passes.push_back({seed, refiner_seed, B, 0, {}, {}});
    else
      for (int64_t i = 0; i < B; ++i) passes.push_back({seed + i, refiner_seed + i, 1, i, {}, {}});
    return passes;
  }
  // The passes' latents side by side as float32 on the CPU [B,C,h,w].
  static at::Tensor batch_latents(const std::vector<Pass>& passes) {
    std::vector<at::Tensor> latents;
    for (const auto& pass : passes) latents.push_back(pass.latents.to(at::kCPU, at::kFloat));
    return at::cat(latents);
  }

  // The request's init image as the first pass starts from it: none (txt2img), img2img, or inpainting
  // (pipeline/inpaint.h; an all-white mask keeps nothing, so it is plain img2img).
  struct InitImage {
    bool img2img = false, inpaint = false;
    std::optional<MaskedImage> masked;
    // The image the masked area starts from (pipeline/masked_content.h); the overlay keeps using the original.
    std::optional<io::Image> content;
  };

  // Progress, previews and the trajectory of the request's denoising stages, handed to each as DenoiseOptions.
  struct Events {
    const ProgressCallback& progress;
    const GenerationRequest& r;
    VaeChoice& vae;
    at::Tensor due_preview;  // handed to the next progress report

    void report(const char* stage, int step, int total, int64_t image) {
      if (progress)
        progress(Progress{stage, step, total, static_cast<int>(image), static_cast<int>(r.sampling.num_images),
                          due_preview});
      due_preview = at::Tensor();
    }
    // The denoising options of one pass's stage: guidance, and the events above after each step.
    DenoiseOptions denoise_options(Pass& pass, const char* stage) {
      DenoiseOptions o;
      o.cfg = r.sampling.cfg;
      o.guidance_rescale = r.sampling.guidance_rescale;
      o.trajectory = r.output.save_trajectory ? &pass.trajectory : nullptr;
      o.on_step = [this, &pass, stage](int step, int total) { report(stage, step, total, pass.first_image); };
      if (r.output.preview)
        o.on_denoised = [this](int step, int total, const at::Tensor& x0) {
          if (step % r.output.preview_every == 0 || step == total) due_preview = vae.preview(x0);
        };
      return o;
    }
  };

  PipelineOptions options;
  Placement placement;
  std::unique_ptr<ModelSet> base, refiner;
  std::optional<VaeChoice> vae;  // --vae, or the checkpoint's; and the previews' decoder
  std::optional<ControlModels> controls;  // ControlNets and T2I-Adapters, loaded on first use

  std::unique_ptr<AdapterSession> adapters;  // LoRA sets on the base model (text encoders and UNet)
  std::unique_ptr<ImagePrompts> image_prompts;  // IP-Adapters and their image encoders, kept across requests
  std::vector<TextualInversion> embeddings;  // from options.embeddings_dir, added to the base's encoders
  std::vector<std::string> not_embeddings;   // other .safetensors files there (a LoRA beside them)

  // The base's text encoders with the embeddings added and the request's LoRA set merged (a changed
  // weight voids cached encodings).
  void sync_text_adapters() {
    if (!embeddings.empty()) add_embeddings(base->ensure_text(), embeddings);
    if (!adapters) return;
    TextConditioner& text = base->ensure_text();
    bool changed = false;
    for (const TextEncoder& e : text.encoders()) changed |= adapters->sync(e.name, *e.model.ptr());
    if (changed) text.clear_cache();
  }

  // Everything up front, unless --low-memory: then each stage loads its model and drops it when done.
  void load_all() {
    base->ensure_text();
    base->ensure_unet();
    vae->load();
    if (refiner) {
      refiner->ensure_text();
      refiner->ensure_unet();
    }
  }
  at::TensorOptions latent_options() const {
    return at::TensorOptions().device(placement.device).dtype(placement.dtype);
  }

  // ---- The stages of a request, in the order generate() runs them. ----

  // The request's init image and mask, read and checked (an inpainting request's size becomes its canvas's).
  static InitImage init_image(GenerationRequest& r, ModelKind kind, std::vector<std::string>* warnings) {
    InitImage init;
    init.img2img = r.img2img.init_image.has_value();
    if (kind == ModelKind::Refiner && !init.img2img)
      throw usage_error("init_image", "is required: the model is a refiner checkpoint, which only refines an image");
    if (r.inpaint.mask || r.inpaint.outpaint) {
      init.masked = load_masked_image(r);
      r.sampling.size = Size{init.masked->image.height, init.masked->image.width};  // outpainting: the canvas
      if (init.masked->all_white) warnings->push_back("the mask is all white: nothing to keep, running plain img2img");
      init.content = r.inpaint.masked_content == MaskedContent::Fill
                         ? fill_masked_area(init.masked->image, init.masked->luminance)
                         : init.masked->image;
    }
    init.inpaint = init.masked && !init.masked->all_white;
    return init;
  }

  // The request's adapters before anything is encoded: its LoRA set (files read once per pipeline; merged
  // into each model as it is used), the embeddings its prompts name (for the metadata: the web UI lists only
  // those used), and its image prompts' files checked and hashed before a model loads for them.
  void select_adapters(GenerationRequest& r, GenerationResult& result) {
    resolve_lora_tags(r, options.lora_dir);
    if (!r.adapters.loras.empty() && !adapters) adapters = std::make_unique<AdapterSession>(base->checkpoint);
    if (adapters) r.adapters.loras = adapters->select(r.adapters.loras, &result.adapter_reports, &result.adapter_skipped);
    result.embeddings =
        embeddings_used(embeddings, {r.text.prompt, r.text.prompt_2.value_or(""), r.text.negative_prompt.value_or(""),
                                     r.text.negative_prompt_2.value_or("")});
    if (r.adapters.ip_adapters.empty()) return;
    if (!image_prompts) image_prompts = std::make_unique<ImagePrompts>(placement);
    image_prompts->check(r.adapters.ip_adapters, unet_cross_attention(*base), options.model);
    if (!options.refiner.empty())
      result.warnings.push_back("image prompts steer the base model's passes only, not the refiner");
  }

  // Encode prompts -> conditioning for `model` (pipeline/conditioning.h: text embeddings and micro-conditioning
  // time ids in the CFG batch layout); with --low-memory its encoders are released afterwards.
  UNetConditioning text_conditioning(ModelSet& model, const GenerationRequest& r, int64_t rows,
                                     std::vector<std::string>* warnings) {
    UNetConditioning cond = build_conditioning(model, r, rows, warnings);
    if (options.low_memory) model.release_text();
    return cond;
  }
  // The first stage's conditioning: the base's, with the image prompts' attention terms in the same batch
  // layout (diffusers prepare_ip_adapter_image_embeds). The later base passes reuse the image prompts.
  UNetConditioning encode(const GenerationRequest& r, int64_t rows, std::vector<std::string>* warnings) {
    UNetConditioning cond = text_conditioning(*base, r, rows, warnings);
    if (!r.adapters.ip_adapters.empty()) {
      cond.image_prompts = image_prompts->prepare(r.adapters.ip_adapters, rows, uses_cfg(r.sampling.cfg));
      if (options.low_memory) image_prompts->release_encoders();
    }
    return cond;
  }

  // The noised starting latents of img2img: the init image encoded (its noise drawn first), then add_noise
  // at the first remaining timestep (diffusers prepare_latents). With a mask that keeps nothing, `init` holds
  // the image already read and the all-white mask for the latent masked-content modes
  // (pipeline/masked_content.h; their noise drawn after the initial noise, as in Inpainting).
  at::Tensor img2img_start(const GenerationRequest& r, const InitImage& init, int64_t batch, Sampler& sampler,
                           NoiseSource& noise) {
    io::Image image;
    try {
      image = init.content ? *init.content : read_input_image(r, *r.img2img.init_image);
    } catch (const Error& e) {
      throw input_error("init_image", e.what());
    }
    if (image.width != r.sampling.size.width || image.height != r.sampling.size.height)
      throw usage_error("size", std::to_string(r.sampling.size.width) + "x" + std::to_string(r.sampling.size.height) +
                                    " differs from the init image " + *r.img2img.init_image + " (" +
                                    std::to_string(image.width) + "x" + std::to_string(image.height) + ")");
    at::Tensor pixels = uint8_to_image(io::to_tensor(image)).repeat({batch, 1, 1, 1});
    at::Tensor latents = vae->encode(pixels, noise, latent_options());
    at::Tensor eps = noise.randn(latents.sizes(), latents.options());
    if (init.masked)
      latents = apply_latent_content(latents, r.inpaint.masked_content,
                                     webui_latent_mask(init.masked->luminance, latents.size(2), latents.size(3)), noise);
    return sampler.add_noise(latents, eps, 0);
  }

  // First pass, latents -> latents, as diffusers' SDXL txt2img / img2img / inpaint pipelines: the starting
  // latents (the seed's noise times init_noise_sigma, the noised init image, or Inpainting's, which also
  // installs its hooks into `dopt`), denoised by the base UNet over the schedule, cut at `strength` with an
  // init image (get_timesteps) and ended at high_noise_frac before an expert refiner (denoising_end).
  at::Tensor first_pass(const GenerationRequest& r, const InitImage& init, const Pass& pass, UNet2DConditionModel& unet,
                        const UNetConditioning& cond, DenoiseOptions dopt, int64_t downscale, bool expert) {
    Schedule schedule = full_schedule(r, r.sampling.steps, base->scheduler);
    if (init.img2img) schedule = with_strength(schedule, r.img2img.strength);
    if (expert) schedule = with_denoising_end(schedule, r.refiner.high_noise_frac);
    Sampler sampler(schedule);
    NoiseSource noise = NoiseSource::batched(pass.seed);
    if (init.img2img && schedule.empty())
      throw usage_error("strength", std::to_string(r.img2img.strength) + " leaves no denoising steps");
    at::Tensor latents;
    const int64_t unet_in = unet->config().in_channels;
    if (init.inpaint) {
      InpaintInputs in{uint8_to_image(io::to_tensor(*init.content)).repeat({pass.batch, 1, 1, 1}), init.masked->binary,
                       r.inpaint.masked_content, init.masked->luminance};
      Inpainting inpainting(in, unet_in, vae->full(), sampler, noise, latent_options(), r.img2img.strength == 1.0);
      latents = inpainting.start_latents();
      inpainting.install(dopt, sampler, uses_cfg(r.sampling.cfg));
    } else if (init.img2img) {
      latents = img2img_start(r, init, pass.batch, sampler, noise);
    } else {
      const int64_t h = r.sampling.size.height / downscale, w = r.sampling.size.width / downscale;
      latents = noise.randn({pass.batch, unet_in, h, w}, latent_options()) * sampler.init_noise_sigma();
    }
    return denoise(unet, sampler, latents, cond, noise, dopt);
  }

  // Hires pass, latents -> latents (pipeline/hires.h): one pass's first-pass latents upscaled (latent
  // upscalers) or decoded, resized with Lanczos in 8 bits and encoded as an init image, then noised to
  // hires_strength with a generator seeded like the first pass's and denoised at `final_size` with `cond`.
  at::Tensor hires_pass(const GenerationRequest& r, const Size& final_size, uint64_t seed, const at::Tensor& latents,
                        UNet2DConditionModel& unet, const UNetConditioning& cond, const DenoiseOptions& dopt) {
    Schedule schedule =
        with_strength(full_schedule(r, r.hires.steps.value_or(r.sampling.steps), base->scheduler), r.hires.strength);
    if (schedule.empty())
      throw usage_error("hires_strength", std::to_string(r.hires.strength) + " leaves no denoising steps");
    Sampler sampler(schedule);
    NoiseSource noise = NoiseSource::batched(seed);
    at::Tensor start;
    if (r.hires.upscaler == HiresUpscaler::Lanczos) {
      VaeTiling tiling;
      tiling.enabled = r.output.vae_tiling;
      std::vector<at::Tensor> pixels;
      for (int64_t i = 0; i < latents.size(0); ++i) {
        at::Tensor small = image_to_uint8(vae->decode(latents.narrow(0, i, 1), tiling))[0];
        io::Image big = io::lanczos_resize(io::from_tensor(small), final_size.width, final_size.height);
        pixels.push_back(uint8_to_image(io::to_tensor(big)));
      }
      start = vae->encode(at::cat(pixels), noise, latent_options());
    } else {
      start = upscale_latents(latents, final_size, r.hires.upscaler);
    }
    at::Tensor eps = noise.randn(start.sizes(), start.options());
    return denoise(unet, sampler, sampler.add_noise(start, eps, 0), cond, noise, dopt);
  }

  // Refiner pass, latents -> latents (SDXL paper sec. 2.5), with the refiner's own generator: "expert" runs
  // the rest of one schedule from high_noise_frac (diffusers denoising_start), "sdedit" re-noises the base
  // latents to refiner_strength of the refiner's schedule (diffusers img2img get_timesteps + add_noise).
  at::Tensor refiner_pass(const GenerationRequest& r, const Pass& pass, at::Tensor latents,
                          UNet2DConditionModel& unet, const UNetConditioning& cond, const DenoiseOptions& dopt,
                          bool expert) {
    NoiseSource noise = NoiseSource::batched(pass.refiner_seed);
    Schedule schedule =
        full_schedule(r, expert ? r.sampling.steps : r.refiner.steps.value_or(r.sampling.steps), refiner->scheduler);
    schedule = expert ? with_denoising_start(schedule, r.refiner.high_noise_frac) : with_strength(schedule, r.refiner.strength);
    Sampler sampler(schedule);
    if (!expert && !schedule.empty()) {
      at::Tensor eps = noise.randn(latents.sizes(), latents.options());
      latents = sampler.add_noise(latents, eps, 0);
    }
    return denoise(unet, sampler, latents, cond, noise, dopt);
  }

  // Decode, latents -> float pixels [B,3,H,W] in [-1,1] on the CPU: one image at a time (bounded memory).
  at::Tensor decode(const std::vector<Pass>& passes, const VaeTiling& tiling, Events& events) {
    std::vector<at::Tensor> decoded;
    for (const auto& pass : passes)
      for (int64_t i = 0; i < pass.batch; ++i) {
        events.report("decode", 0, 0, pass.first_image + i);
        decoded.push_back(vae->decode(pass.latents.narrow(0, i, 1), tiling).to(at::kCPU, at::kFloat));
      }
    return at::cat(decoded);
  }
};

Pipeline::Pipeline(const PipelineOptions& options) : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.options = options;
  // Reproducible: dtype auto means fp32, since auto's bf16 depends on the CPU having native BF16.
  const auto repro_dtype = [&](DType d) { return options.reproducible && d == DType::Auto ? DType::Fp32 : d; };
  check_options(options);
  const DeviceChoice device =
      options.reproducible && options.device.kind == DeviceKind::Auto ? DeviceChoice{DeviceKind::Cpu} : options.device;
  m.placement = resolve_placement(device, repro_dtype(options.dtype), repro_dtype(options.vae_dtype));
  if (options.reproducible) enter_reproducible_mode(m.placement.device.type() == at::kCPU ? "cpu" : m.placement.device.str());
  m.vae.emplace(options.vae, options.preview_vae, options.vae_dtype, m.placement);
  m.base = std::make_unique<ModelSet>(options.model, options.config_dir, m.placement);
  if (!options.embeddings_dir.empty()) m.embeddings = load_embeddings(options.embeddings_dir, &m.not_embeddings);
  if (m.base->kind == ModelKind::Refiner && !options.refiner.empty())
    throw usage_error("refiner", "the model " + options.model + " is a refiner itself; a refiner stage needs a base model");
  if (!options.refiner.empty())
    m.refiner = std::make_unique<ModelSet>(options.refiner, options.refiner_config_dir, m.placement, m.base.get());
  m.vae->set_checkpoints(m.base.get(), m.refiner.get());
  m.controls.emplace(*m.base, m.placement);
  if (!options.low_memory) m.load_all();
}

Pipeline::~Pipeline() = default;

std::vector<std::string> Pipeline::load_loras(const std::vector<LoraSpec>& loras, std::vector<std::string>* skipped) {
  std::vector<std::string> reports;
  if (loras.empty()) return reports;
  if (!impl_->adapters) impl_->adapters = std::make_unique<AdapterSession>(impl_->base->checkpoint);
  impl_->adapters->select(loras, &reports, skipped);
  return reports;
}

std::vector<LoraSpec> Pipeline::request_loras(const GenerationRequest& request) const {
  GenerationRequest r = request;
  resolve_lora_tags(r, impl_->options.lora_dir);
  return r.adapters.loras;
}

void Pipeline::check_options(const PipelineOptions& options) {
  if (options.reproducible && options.device.kind == DeviceKind::Cuda)
    throw usage_error("reproducible", "pins CPU code paths; it cannot run on --device " + to_string(options.device));
  (void)resolve_placement(options.device, options.dtype, options.vae_dtype);
}

std::string Pipeline::model_name() const { return impl_->options.model; }

const std::vector<std::string>& Pipeline::skipped_embedding_files() const { return impl_->not_embeddings; }

GenerationRequest model_default_request(const PipelineOptions& options) {
  const Checkpoint ckpt = open_checkpoint(options.model, options.config_dir);
  GenerationRequest r;
  if (ckpt.scheduler_config.is_null()) return r;
  const SchedulerConfig s = SchedulerConfig::from_json(ckpt.scheduler_config, options.model + " scheduler");
  r.sampling.sampler = s.sampler.value_or(SamplerKind::Euler);
  r.sampling.karras =
      s.use_karras_sigmas && r.sampling.sampler != SamplerKind::DDIM && r.sampling.sampler != SamplerKind::LCM;
  return r;
}

std::string Pipeline::placement_note() const {
  const Placement& p = impl_->placement;
  if (p.auto_reason.empty()) return "";
  return std::string("dtype auto on ") + p.device.str() + ": " + dtype_name(p.dtype) + ", VAE " +
         dtype_name(p.vae_dtype) + " (this CPU: " + p.auto_reason + ")";
}

double Pipeline::load_s() const {
  return impl_->base->load_s + (impl_->refiner ? impl_->refiner->load_s : 0) + impl_->vae->load_s() +
         impl_->controls->load_s();
}

// The stages in order: encode prompts, first pass, hires pass, refiner pass, decode (each an Impl function
// over values; this function threads the request's state and timings through them).
GenerationResult Pipeline::generate(const GenerationRequest& request, const ProgressCallback& progress) {
  c10::InferenceMode inference;
  Impl& m = *impl_;
  GenerationResult result;
  result.request = request;
  validate(result.request);
  GenerationRequest& r = result.request;
  if (!r.sampling.seed) throw usage_error("seed", "the request has no seed (callers draw one)");
  result.warnings = size_warnings(r.sampling.size);
  std::vector<Impl::Pass> passes = Impl::plan_passes(r, &result.seeds);
  const int64_t rows = passes[0].batch;  // images per pass: the conditioning's batch
  Impl::Events events{progress, r, *m.vae, {}};
  ModelSet& base = *m.base;
  const bool low_memory = m.options.low_memory;
  const Impl::InitImage init = Impl::init_image(r, base.kind, &result.warnings);
  m.select_adapters(r, result);

  // 1. Encode prompts -> conditioning (the same rows for every pass).
  Stopwatch timer;
  m.sync_text_adapters();
  events.report("encode", 0, 0, 0);
  const UNetConditioning cond = m.encode(r, rows, &result.warnings);
  result.encode_s = timer.seconds();

  // 2. First pass: txt2img, or img2img on an init image. (Loading is not part of the stage's time.)
  UNet2DConditionModel& unet = base.ensure_unet();
  const int64_t unet_in = unet->config().in_channels;
  if (!init.inpaint && unet_in != 4)
    throw usage_error("mask", "is required: the model " + m.options.model + " has an inpainting UNet (" +
                                  std::to_string(unet_in) + " input channels); give an init image and a mask with "
                                  "something to repaint");
  if (m.adapters) m.adapters->sync("unet", *unet);
  timer.restart();
  const bool expert = !m.options.refiner.empty() && r.refiner.mode == RefinerMode::Expert;
  const int64_t downscale = m.vae->downscale();
  std::optional<ControlStage> control = m.controls->stage(r, r.sampling.size, rows, cond, &result.warnings);
  for (auto& pass : passes) {
    DenoiseOptions dopt = events.denoise_options(pass, "base");
    if (control) dopt.unet_extras = control->hook();
    pass.latents = m.first_pass(r, init, pass, unet, cond, dopt, downscale, expert);
  }

  // 2b. Hires pass: every pass again at the scaled size, micro-conditioned on it (as are the later stages).
  GenerationRequest final_r = r;
  if (r.hires.scale) {
    final_r.sampling.size = hires_size(r.sampling.size, *r.hires.scale);
    if (std::abs(r.sampling.size.width * *r.hires.scale - final_r.sampling.size.width) > 1e-9 ||
        std::abs(r.sampling.size.height * *r.hires.scale - final_r.sampling.size.height) > 1e-9)
      result.warnings.push_back("hires_scale " + std::to_string(*r.hires.scale) + ": second pass at " +
                                std::to_string(final_r.sampling.size.width) + "x" +
                                std::to_string(final_r.sampling.size.height) +
                                " (each side rounded to a multiple of 8)");
    result.base_latents = Impl::batch_latents(passes);  // the first pass's
    m.sync_text_adapters();  // --low-memory may have reloaded the encoders
    UNetConditioning hcond = m.text_conditioning(base, final_r, rows, &result.warnings);
    hcond.image_prompts = cond.image_prompts;
    // The control images again, resized for the second pass.
    std::optional<ControlStage> hires_control =
        m.controls->stage(r, final_r.sampling.size, rows, hcond, &result.warnings);
    for (auto& pass : passes) {
      DenoiseOptions dopt = events.denoise_options(pass, "hires");
      if (hires_control) dopt.unet_extras = hires_control->hook();
      pass.latents = m.hires_pass(r, final_r.sampling.size, pass.seed, pass.latents, unet, hcond, dopt);
    }
  }
  if (low_memory) {
    base.release_unet();
    m.controls->release();
  }
  result.base_s = timer.seconds();

  // 3. Refiner pass: its own conditioning (encoder 2, aesthetic score) and its own generator.
  if (m.refiner) {
    timer.restart();
    result.base_latents = Impl::batch_latents(passes);
    ModelSet& ref = *m.refiner;
    const UNetConditioning rcond = m.text_conditioning(ref, final_r, rows, &result.warnings);
    UNet2DConditionModel& refiner_unet = ref.ensure_unet();
    for (auto& pass : passes)
      pass.latents = m.refiner_pass(r, pass, pass.latents, refiner_unet, rcond, events.denoise_options(pass, "refiner"),
                                    expert);
    if (low_memory) ref.release_unet();
    result.refiner_s = timer.seconds();
  }

  // 4. Decode, then 8 bits as the reference rounds; inpainting pastes back what the request keeps.
  timer.restart();
  result.latents = Impl::batch_latents(passes);
  // Every pass recorded the same number of steps: step s of the batch is the passes' step s side by side.
  for (size_t s = 0; r.output.save_trajectory && s < passes[0].trajectory.size(); ++s) {
    std::vector<at::Tensor> step;
    for (const auto& pass : passes) step.push_back(pass.trajectory[s]);
    result.trajectory.push_back(at::cat(step));
  }
  VaeTiling tiling;
  tiling.enabled = r.output.vae_tiling;
  result.decoded = m.decode(passes, tiling, events);
  result.images = image_to_uint8(result.decoded);
  if (init.masked && init.masked->full_res)
    result.images = paste_full_res(result.images, *init.masked->full_res, r.inpaint.keep_unmasked);
  else if (init.masked && r.inpaint.keep_unmasked)
    result.images =
        paste_unmasked(result.images, io::to_tensor(init.masked->image), overlay_alpha(init.masked->luminance));
  result.decode_s = timer.seconds();
  record_schedule(r, full_schedule(r, r.sampling.steps, base.scheduler), base.scheduler);
  result.runtime = runtime_info(m.placement);
  if (m.options.reproducible) result.runtime["reproducible"] = reproducible_record();
  m.vae->record(result.runtime);
  return result;
}

}  // namespace sdxl
