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
  AutoencoderKL& vae() {
    if (base->has_vae() || !refiner) return base->ensure_vae();
    return refiner->ensure_vae();
  }

  // The noised starting latents of img2img: VAE posterior sample (its noise drawn first), scaled,
  // then add_noise at the first remaining timestep (diffusers prepare_latents).
  at::Tensor img2img_start(const GenerationRequest& r, Sampler& sampler, NoiseSource& noise) {
    io::Image image = io::read_png(*r.init_image);
    if (image.width != r.size.width || image.height != r.size.height)
      throw Error("--init-image " + *r.init_image + " is " + std::to_string(image.width) + "x" +
                  std::to_string(image.height) + " but --size is " + std::to_string(r.size.width) + "x" +
                  std::to_string(r.size.height) + " (resize it or pass its size)");
    at::Tensor pixels = uint8_to_image(io::to_tensor(image)).repeat({r.num_images, 1, 1, 1});
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
    throw Error("--model " + options.model + " is a refiner; --refiner needs a base model as --model");
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

  // 0. The request's LoRA set (files read once per pipeline; merged into each model as it is used).
  resolve_lora_tags(r, m.options.lora_dir);
  if (!r.loras.empty() && !m.adapters) m.adapters = std::make_unique<AdapterSession>(base.checkpoint);
  if (m.adapters) r.loras = m.adapters->select(r.loras, &result.adapter_reports, &result.adapter_skipped);

  // 1. Text and micro-conditioning for the first stage.
  Stopwatch timer;
  m.sync_text_adapters();
  report("encode", 0, 0);
  UNetConditioning cond = build_conditioning(base, r, B, &result.warnings);
  if (low_memory) base.release_text();
  result.encode_s = timer.seconds();

  // 2. First stage: txt2img, or img2img on an init image. (Loading is not part of the stage's time.)
  UNet2DConditionModel& unet = base.ensure_unet();
  if (m.adapters) m.adapters->sync("unet", *unet);
  timer.restart();
  Schedule schedule = full_schedule(r, r.steps, base.scheduler);
  const bool expert = !m.options.refiner.empty() && r.refiner_mode == "expert";
  if (img2img) schedule = with_strength(schedule, r.strength);
  if (expert) schedule = with_denoising_end(schedule, r.high_noise_frac);
  Sampler sampler(schedule);
  NoiseSource noise = make_noise(r, seed);
  const int64_t h = r.size.height / 8, w = r.size.width / 8;
  const auto latent_options = at::TensorOptions().device(m.placement.device).dtype(m.placement.dtype);
  at::Tensor latents;
  if (img2img) {
    if (schedule.empty()) throw Error("--strength " + std::to_string(r.strength) + " leaves no denoising steps");
    latents = m.img2img_start(r, sampler, noise);
  } else {
    latents = noise.randn({B, 4, h, w}, latent_options) * sampler.init_noise_sigma();
  }
  DenoiseOptions dopt;
  dopt.cfg = r.cfg;
  dopt.guidance_rescale = r.guidance_rescale;
  dopt.trajectory = r.save_trajectory ? &result.trajectory : nullptr;
  dopt.on_step = [&](int step, int total) { report("base", step, total); };
  latents = denoise(unet, sampler, latents, cond, noise, dopt);
  if (low_memory) base.release_unet();
  result.base_s = timer.seconds();

  // 3. Refiner: its own conditioning (encoder 2, aesthetic score) and its own generator.
  if (!m.options.refiner.empty()) {
    timer.restart();
    result.base_latents = latents.to(at::kCPU, at::kFloat);
    ModelSet& ref = *m.refiner;
    UNetConditioning rcond = build_conditioning(ref, r, B, &result.warnings);
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
  result.decode_s = timer.seconds();
  return result;
}

}  // namespace sdxl
