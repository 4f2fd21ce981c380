// Pipeline: txt2img / img2img with the SDXL base (or a refiner used alone), and the two refiner hand-offs
// (SDXL paper sec. 2.5): "sdedit" re-noises the base latents to `refiner_strength` of the refiner's
// schedule (diffusers img2img get_timesteps + add_noise), "expert" splits one schedule at high_noise_frac
// (diffusers denoising_end / denoising_start). Every random draw comes from CPU generators seeded by the
// request, in the reference's order.
#include "sdxl/pipeline.h"

#include "adapters/adapter_session.h"
#include "adapters/embeddings.h"
#include "adapters/prompt_tags.h"
#include "common/error.h"
#include "common/stopwatch.h"
#include "io/png.h"
#include "pipeline/aspect_buckets.h"
#include "pipeline/conditioning.h"
#include "pipeline/denoise.h"
#include "pipeline/model_set.h"
#include "sampling/sampler_kind.h"
#include "sampling/schedule.h"
#include "vae/postprocess.h"

namespace sdxl {
namespace {

Schedule full_schedule(const GenerationRequest& r, int steps, const SchedulerConfig& config) {
  return make_schedule(r.sampler, steps, config, r.karras, r.timestep_spacing);
}

}  // namespace

struct Pipeline::Impl {
  struct Pass;
  PipelineOptions options;
  Placement placement;
  std::unique_ptr<ModelSet> base, refiner;
  std::unique_ptr<AdapterSession> adapters;  // LoRA sets on the base model (text encoders and UNet)
  std::vector<TextualInversion> embeddings;  // from options.embeddings_dir, added to the base's encoders

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
    if (base->has_vae()) base->ensure_vae();
    if (refiner) {
      refiner->ensure_text();
      refiner->ensure_unet();
    }
  }
  // Pixels per latent along each side, from the VAE's config (2^(levels - 1), 8 for SDXL), without loading it.
  int64_t vae_downscale() const {
    const ModelSet& owner = base->has_vae() || !refiner ? *base : *refiner;
    if (!owner.has_vae()) throw Error(owner.path + ": the checkpoint has no VAE");
    return VaeConfig::from_json(owner.checkpoint.components.at("vae").config, owner.path + ": vae config").downscale();
  }
  AutoencoderKL& vae() {
    if (base->has_vae() || !refiner) return base->ensure_vae();
    return refiner->ensure_vae();
  }

  // The noised starting latents of img2img: VAE posterior sample (its noise drawn first), scaled,
  // then add_noise at the first remaining timestep (diffusers prepare_latents).
  at::Tensor img2img_start(const GenerationRequest& r, int64_t batch, Sampler& sampler, NoiseSource& noise) {
    io::Image image;
    try {
      image = io::read_png(*r.init_image);
    } catch (const Error& e) {
      throw input_error("init_image", e.what());
    }
    if (image.width != r.size.width || image.height != r.size.height)
      throw usage_error("size", std::to_string(r.size.width) + "x" + std::to_string(r.size.height) +
                                    " differs from the init image " + *r.init_image + " (" +
                                    std::to_string(image.width) + "x" + std::to_string(image.height) + ")");
    at::Tensor pixels = uint8_to_image(io::to_tensor(image)).repeat({batch, 1, 1, 1});
    AutoencoderKL& v = vae();
    Posterior posterior = v->encode(pixels.to(v->device()));
    at::Tensor sample = posterior.sample(noise.randn(posterior.mean.sizes(), posterior.mean.options()));
    at::Tensor init = v->to_pipeline_space(sample).to(placement.device, placement.dtype);
    at::Tensor eps = noise.randn(init.sizes(), init.options());
    return sampler.add_noise(init, eps, 0);
  }
};

Pipeline::Pipeline(const PipelineOptions& options) : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.options = options;
  m.placement = resolve_placement(options.device, options.dtype, options.vae_dtype);
  m.base = std::make_unique<ModelSet>(options.model, options.config_dir, m.placement);
  if (!options.embeddings_dir.empty()) m.embeddings = load_embeddings(options.embeddings_dir);
  if (m.base->kind == ModelKind::Refiner && !options.refiner.empty())
    throw usage_error("refiner", "the model " + options.model + " is a refiner itself; a refiner stage needs a base model");
  if (!options.refiner.empty())
    m.refiner = std::make_unique<ModelSet>(options.refiner, options.refiner_config_dir, m.placement, m.base.get());
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
  return r.loras;
}

void Pipeline::check_options(const PipelineOptions& options) {
  (void)resolve_placement(options.device, options.dtype, options.vae_dtype);
}

std::string Pipeline::model_name() const { return impl_->options.model; }
double Pipeline::load_s() const { return impl_->base->load_s + (impl_->refiner ? impl_->refiner->load_s : 0); }

// One pass of the stages over `batch` images drawn from `seed` (and `refiner_seed`): the whole batch for
// shared noise (the reference's num_images_per_prompt), or one image for per-image noise, so that image i
// of a batch runs exactly as a single run with seed + i (same shapes, same kernels, same bits).
struct Pipeline::Impl::Pass {
  uint64_t seed, refiner_seed;
  int64_t batch, first_image;
  at::Tensor latents;
  std::vector<at::Tensor> trajectory;
};

GenerationResult Pipeline::generate(const GenerationRequest& request, const ProgressCallback& progress) {
  c10::InferenceMode inference;
  Impl& m = *impl_;
  GenerationResult result;
  result.request = request;
  validate(result.request);
  GenerationRequest& r = result.request;
  if (!r.seed) throw usage_error("seed", "the request has no seed (callers draw one)");
  const uint64_t seed = *r.seed;
  result.warnings = size_warnings(r.size);
  const int64_t B = r.num_images;
  const bool shared_noise = r.batch_noise == BatchNoise::Shared;
  for (int64_t i = 0; i < B; ++i) result.seeds.push_back(shared_noise ? seed : seed + i);
  std::vector<Impl::Pass> passes;
  const uint64_t refiner_seed = r.refiner_seed.value_or(seed);
  if (shared_noise) passes.push_back({seed, refiner_seed, B, 0, {}, {}});
  else
    for (int64_t i = 0; i < B; ++i) passes.push_back({seed + i, refiner_seed + i, 1, i, {}, {}});
  const int64_t pass_batch = passes[0].batch;
  auto report = [&](const char* stage, int step, int total, int64_t image) {
    if (progress) progress(Progress{stage, step, total, static_cast<int>(image), static_cast<int>(B)});
  };
  auto denoise_options = [&](Impl::Pass& pass, const char* stage) {
    DenoiseOptions o;
    o.cfg = r.cfg;
    o.guidance_rescale = r.guidance_rescale;
    o.trajectory = r.save_trajectory ? &pass.trajectory : nullptr;
    o.on_step = [&report, &pass, stage](int step, int total) { report(stage, step, total, pass.first_image); };
    return o;
  };

  ModelSet& base = *m.base;
  const bool low_memory = m.options.low_memory;
  const bool img2img = r.init_image.has_value();
  if (base.kind == ModelKind::Refiner && !img2img)
    throw usage_error("init_image", "is required: the model is a refiner checkpoint, which only refines an image");

  // 0. The request's LoRA set (files read once per pipeline; merged into each model as it is used).
  resolve_lora_tags(r, m.options.lora_dir);
  if (!r.loras.empty() && !m.adapters) m.adapters = std::make_unique<AdapterSession>(base.checkpoint);
  if (m.adapters) r.loras = m.adapters->select(r.loras, &result.adapter_reports, &result.adapter_skipped);

  // 1. Text and micro-conditioning for the first stage (the same rows for every pass).
  Stopwatch timer;
  m.sync_text_adapters();
  report("encode", 0, 0, 0);
  UNetConditioning cond = build_conditioning(base, r, pass_batch, &result.warnings);
  if (low_memory) base.release_text();
  result.encode_s = timer.seconds();

  // 2. First stage: txt2img, or img2img on an init image. (Loading is not part of the stage's time.)
  UNet2DConditionModel& unet = base.ensure_unet();
  if (m.adapters) m.adapters->sync("unet", *unet);
  timer.restart();
  const bool expert = !m.options.refiner.empty() && r.refiner_mode == RefinerMode::Expert;
  const int64_t scale = m.vae_downscale(), h = r.size.height / scale, w = r.size.width / scale;
  const int64_t latent_channels = unet->config().in_channels;
  const auto latent_options = at::TensorOptions().device(m.placement.device).dtype(m.placement.dtype);
  for (auto& pass : passes) {
    Schedule schedule = full_schedule(r, r.steps, base.scheduler);
    if (img2img) schedule = with_strength(schedule, r.strength);
    if (expert) schedule = with_denoising_end(schedule, r.high_noise_frac);
    Sampler sampler(schedule);
    NoiseSource noise = NoiseSource::batched(pass.seed);
    if (img2img) {
      if (schedule.empty()) throw usage_error("strength", std::to_string(r.strength) + " leaves no denoising steps");
      pass.latents = m.img2img_start(r, pass.batch, sampler, noise);
    } else {
      pass.latents = noise.randn({pass.batch, latent_channels, h, w}, latent_options) * sampler.init_noise_sigma();
    }
    pass.latents = denoise(unet, sampler, pass.latents, cond, noise, denoise_options(pass, "base"));
  }
  if (low_memory) base.release_unet();
  result.base_s = timer.seconds();

  // 3. Refiner: its own conditioning (encoder 2, aesthetic score) and its own generator.
  if (!m.options.refiner.empty()) {
    timer.restart();
    std::vector<at::Tensor> base_latents;
    for (const auto& pass : passes) base_latents.push_back(pass.latents.to(at::kCPU, at::kFloat));
    result.base_latents = at::cat(base_latents);
    ModelSet& ref = *m.refiner;
    UNetConditioning rcond = build_conditioning(ref, r, pass_batch, &result.warnings);
    if (low_memory) ref.release_text();
    UNet2DConditionModel& refiner_unet = ref.ensure_unet();
    for (auto& pass : passes) {
      NoiseSource rnoise = NoiseSource::batched(pass.refiner_seed);
      Schedule rschedule = full_schedule(r, expert ? r.steps : r.refiner_steps.value_or(r.steps), ref.scheduler);
      rschedule = expert ? with_denoising_start(rschedule, r.high_noise_frac) : with_strength(rschedule, r.refiner_strength);
      Sampler rsampler(rschedule);
      if (!expert && !rschedule.empty()) {
        at::Tensor eps = rnoise.randn(pass.latents.sizes(), pass.latents.options());
        pass.latents = rsampler.add_noise(pass.latents, eps, 0);
      }
      pass.latents = denoise(refiner_unet, rsampler, pass.latents, rcond, rnoise, denoise_options(pass, "refiner"));
    }
    if (low_memory) ref.release_unet();
    result.refiner_s = timer.seconds();
  }

  // 4. Decode one image at a time (bounded memory), then 8-bit as the reference rounds.
  timer.restart();
  std::vector<at::Tensor> latents;
  for (const auto& pass : passes) latents.push_back(pass.latents.to(at::kCPU, at::kFloat));
  result.latents = at::cat(latents);
  // Every pass recorded the same number of steps: step s of the batch is the passes' step s side by side.
  for (size_t s = 0; r.save_trajectory && s < passes[0].trajectory.size(); ++s) {
    std::vector<at::Tensor> step;
    for (const auto& pass : passes) step.push_back(pass.trajectory[s]);
    result.trajectory.push_back(at::cat(step));
  }
  AutoencoderKL& vae = m.vae();
  VaeTiling tiling;
  tiling.enabled = r.vae_tiling;
  std::vector<at::Tensor> decoded;
  for (const auto& pass : passes)
    for (int64_t i = 0; i < pass.batch; ++i) {
      report("decode", 0, 0, pass.first_image + i);
      decoded.push_back(vae->decode(pass.latents.narrow(0, i, 1), tiling).to(at::kCPU, at::kFloat));
    }
  result.decoded = at::cat(decoded);
  result.images = image_to_uint8(result.decoded);
  result.decode_s = timer.seconds();
  return result;
}

}  // namespace sdxl
