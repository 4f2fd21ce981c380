// Pipeline: txt2img / img2img with the SDXL base (or a refiner used alone), and the two refiner hand-offs
// (SDXL paper sec. 2.5): "sdedit" re-noises the base latents to `refiner_strength` of the refiner's
// schedule (diffusers img2img get_timesteps + add_noise), "expert" splits one schedule at high_noise_frac
// (diffusers denoising_end / denoising_start). Every random draw comes from CPU generators seeded by the
// request, in the reference's order.
#include "sdxl/pipeline.h"

#include "common/error.h"
#include "common/stopwatch.h"
#include "io/png.h"
#include "pipeline/aspect_buckets.h"
#include "pipeline/conditioning.h"
#include "pipeline/denoise.h"
#include "pipeline/model_set.h"
#include "pipeline/preview.h"
#include "pipeline/vae_override.h"
#include "sampling/sampler_kind.h"
#include "sampling/schedule.h"
#include "vae/postprocess.h"

namespace sdxl {
namespace {

NoiseSource make_noise(const GenerationRequest& r, uint64_t seed) {
  return r.batch_noise == "shared" ? NoiseSource::batched(seed) : NoiseSource::per_image(seed, r.num_images);
}

// The model's scheduler config with the request's overrides (prediction type, zero-terminal-SNR rescaling).
SchedulerConfig effective_scheduler(const GenerationRequest& r, SchedulerConfig config) {
  if (r.prediction_type) config.prediction_type = parse_prediction_type(*r.prediction_type, "--prediction-type");
  if (r.zero_terminal_snr) config.rescale_betas_zero_snr = *r.zero_terminal_snr;
  return config;
}

Schedule full_schedule(const GenerationRequest& r, int steps, const SchedulerConfig& model_config) {
  std::optional<TimestepSpacing> spacing;
  if (r.timestep_spacing) spacing = parse_timestep_spacing(*r.timestep_spacing, "--timestep-spacing");
  return make_schedule(parse_sampler(r.sampler, "--sampler"), steps, effective_scheduler(r, model_config), r.karras,
                       spacing);
}

// Records the schedule settings the first stage ran with, so that metadata and `info` show them.
void record_schedule(GenerationRequest& r, const Schedule& s, const SchedulerConfig& model_config) {
  r.timestep_spacing = to_string(s.spacing);
  r.prediction_type = to_string(s.prediction_type);
  r.zero_terminal_snr = effective_scheduler(r, model_config).rescale_betas_zero_snr;
}

const char* dtype_name(at::ScalarType t) {
  return t == at::kHalf ? "fp16" : t == at::kBFloat16 ? "bf16" : "fp32";
}

nlohmann::json runtime_info(const Placement& p) {
  return {{"device", p.device.str()}, {"dtype", dtype_name(p.dtype)}, {"vae_dtype", dtype_name(p.vae_dtype)}};
}

}  // namespace

struct Pipeline::Impl {
  PipelineOptions options;
  Placement placement;
  std::unique_ptr<ModelSet> base, refiner;
  std::optional<VaeOverride> vae_override;  // --vae
  SwappedVae swapped;                       // loaded on first use
  std::optional<VaeOverride> preview_override;  // --preview-vae (an AutoencoderTiny)
  AutoencoderTiny preview_tiny{nullptr};

  // The first image's denoised estimate as uint8 [H,W,3]: tiny autoencoder decode, else latent-to-RGB.
  at::Tensor preview_image(const at::Tensor& x0) {
    const at::Tensor one = x0.narrow(0, 0, 1);
    if (preview_override && !preview_tiny) preview_tiny = load_vae_override(*preview_override, placement).tiny;
    AutoencoderTiny t = preview_tiny ? preview_tiny : tiny();
    return (t ? image_to_uint8(t->decode(one).to(at::kCPU)) : latent_rgb_preview(one))[0];
  }

  // Everything up front, unless --low-memory: then each stage loads its model and drops it when done.
  void load_all() {
    base->ensure_text();
    base->ensure_unet();
    if (vae_override) ensure_swapped();
    else if (base->has_vae()) base->ensure_vae();
    if (refiner) {
      refiner->ensure_text();
      refiner->ensure_unet();
    }
  }
  void ensure_swapped() {
    if (swapped.kl || swapped.tiny) return;
    Stopwatch timer;
    swapped = load_vae_override(*vae_override, placement);
    base->load_s += timer.seconds();
  }
  // The tiny autoencoder given with --vae, or null.
  AutoencoderTiny tiny() {
    if (!vae_override || vae_override->kind != VaeKind::AutoencoderTiny) return nullptr;
    ensure_swapped();
    return swapped.tiny;
  }
  AutoencoderKL& vae() {
    if (vae_override) {
      ensure_swapped();
      return swapped.kl;
    }
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
    if (AutoencoderTiny t = tiny()) {
      // diffusers retrieve_latents: the tiny encoder's output is used as is (no posterior, no noise drawn).
      at::Tensor init = t->encode(pixels).to(placement.device, placement.dtype);
      return sampler.add_noise(init, noise.randn(init.sizes(), init.options()), 0);
    }
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
  if (!options.vae.empty()) {
    m.vae_override = open_vae_override(options.vae);
    // A VAE made for fp16 (config force_upcast false, e.g. the fp16-fix VAE, or the tiny autoencoder) runs in
    // fp16 on CUDA by default instead of bf16.
    if (m.placement.device.is_cuda() && options.vae_dtype == "auto" && !m.vae_override->force_upcast)
      m.placement.vae_dtype = at::kHalf;
  }
  if (!options.preview_vae.empty()) {
    m.preview_override = open_vae_override(options.preview_vae);
    if (m.preview_override->kind != VaeKind::AutoencoderTiny)
      throw Error("--preview-vae " + options.preview_vae + ": not an AutoencoderTiny (TAESDXL); previews need the "
                  "tiny autoencoder (the full VAE would cost as much as a final decode)");
  }
  m.base = std::make_unique<ModelSet>(options.model, options.config_dir, m.placement);
  if (m.base->kind == ModelKind::Refiner && !options.refiner.empty())
    throw Error("--model " + options.model + " is a refiner; --refiner needs a base model as --model");
  if (!options.refiner.empty())
    m.refiner = std::make_unique<ModelSet>(options.refiner, options.refiner_config_dir, m.placement, m.base.get());
  if (!options.low_memory) m.load_all();
}

Pipeline::~Pipeline() = default;

std::string Pipeline::model_name() const { return impl_->options.model; }

GenerationRequest model_default_request(const PipelineOptions& options) {
  const Checkpoint ckpt = open_checkpoint(options.model, options.config_dir);
  GenerationRequest r;
  if (ckpt.scheduler_config.is_null()) return r;
  const SchedulerConfig s = SchedulerConfig::from_json(ckpt.scheduler_config, options.model + " scheduler");
  const SamplerKind kind = s.sampler.value_or(SamplerKind::Euler);
  r.sampler = to_string(kind);
  r.karras = s.use_karras_sigmas && kind != SamplerKind::DDIM && kind != SamplerKind::LCM;
  return r;
}
bool Pipeline::is_refiner_model() const { return impl_->base->kind == ModelKind::Refiner; }
bool Pipeline::has_refiner() const { return !impl_->options.refiner.empty(); }
std::string Pipeline::placement_note() const {
  const Placement& p = impl_->placement;
  if (p.auto_reason.empty()) return "";
  return std::string("dtype auto on ") + p.device.str() + ": " + dtype_name(p.dtype) + ", VAE " +
         dtype_name(p.vae_dtype) + " (this CPU: " + p.auto_reason + "; --dtype fp32 --vae-dtype fp32 for reference-exact output)";
}

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
  at::Tensor due_preview;  // handed to the next progress report
  auto report = [&](const char* stage, int step, int total) {
    if (progress) progress(Progress{stage, step, total, 0, static_cast<int>(B), due_preview});
    due_preview = at::Tensor();
  };

  ModelSet& base = *m.base;
  const bool low_memory = m.options.low_memory;
  const bool img2img = r.init_image.has_value();
  if (base.kind == ModelKind::Refiner && !img2img)
    throw Error("--model is a refiner checkpoint: it only refines images, give one with --init-image");

  // 1. Text and micro-conditioning for the first stage.
  Stopwatch timer;
  report("encode", 0, 0);
  UNetConditioning cond = build_conditioning(base, r, B, &result.warnings);
  if (low_memory) base.release_text();
  result.encode_s = timer.seconds();

  // 2. First stage: txt2img, or img2img on an init image. (Loading is not part of the stage's time.)
  UNet2DConditionModel& unet = base.ensure_unet();
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
  if (r.preview)
    dopt.on_denoised = [&](int step, int total, const at::Tensor& x0) {
      if (step % r.preview_every == 0 || step == total) due_preview = m.preview_image(x0);
    };
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
  AutoencoderTiny tiny = m.tiny();
  VaeTiling tiling;
  tiling.enabled = r.vae_tiling;
  std::vector<at::Tensor> decoded;
  for (int64_t i = 0; i < B; ++i) {
    report("decode", static_cast<int>(i), static_cast<int>(B));
    const at::Tensor one = latents.narrow(0, i, 1);
    decoded.push_back((tiny ? tiny->decode(one) : m.vae()->decode(one, tiling)).to(at::kCPU, at::kFloat));
  }
  result.decoded = at::cat(decoded);
  result.images = image_to_uint8(result.decoded);
  result.decode_s = timer.seconds();
  record_schedule(r, schedule, base.scheduler);
  result.runtime = runtime_info(m.placement);
  if (m.vae_override) {
    result.runtime["vae"] = m.vae_override->path;
    result.runtime["vae_kind"] = to_string(m.vae_override->kind);
  }
  return result;
}

}  // namespace sdxl
