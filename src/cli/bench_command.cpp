// `sdxl-gen bench`: speed and memory of the full-size SDXL 1.0 models with random weights (no checkpoint
// needed). Stages run in the order of a generation (text encoders, base UNet, refiner UNet with --all, VAE),
// each model released before the next is built, as --low-memory does. Warm-up runs are excluded; times are
// medians over --repeat runs.
#include <algorithm>
#include <iostream>

#include "cli/bench_image_encoder.h"
#include "cli/bench_lora.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/progress.h"
#include "cli/runtime.h"
#include "common/stopwatch.h"
#include "io/size_parse.h"
#include "pipeline/denoise.h"
#include "pipeline/device.h"
#include "pipeline/preview.h"
#include "sampling/sampler_kind.h"
#include "sampling/schedule.h"
#include "text/clip_text_model.h"
#include "unet/unet.h"
#include "vae/autoencoder.h"
#include "vae/tiny_autoencoder.h"
#include "weights/presets.h"

#ifdef __has_include
#if __has_include(<c10/cuda/CUDACachingAllocator.h>)
#include <c10/cuda/CUDACachingAllocator.h>
#define SDXL_BENCH_CUDA_STATS 1
#endif
#endif

namespace sdxl::cli {
namespace {

struct BenchFlags {
  std::string size = "1024x1024", device = "auto", dtype = "auto", vae_dtype = "auto";
  int steps = 4, repeat = 3;
  int64_t lora_rank = 0;  // > 0: time a random LoRA of this rank on the base models first (bench_lora.h)
  double cfg = 5.0;  // the loop's guidance: <= 1 runs the UNet on batch 1 (few-step recipes)
  bool json = false, skip_vae = false, all = false;
  RuntimeFlags runtime;
};

struct BenchContext {
  const BenchFlags& flags;
  Placement placement;
  int64_t latent_h, latent_w;
  nlohmann::json& out;

  at::TensorOptions options() const { return at::TensorOptions().device(placement.device).dtype(placement.dtype); }
  void report(const std::string& key, double seconds, const std::string& label) {
    out[key] = seconds;
    if (!flags.json) std::cerr << label << ": " << seconds << " s\n";
  }
};

// Median seconds of `repeat` runs of f after one warm-up run.
double time_median(int repeat, const at::Device& device, const std::function<void()>& f) {
  f();
  synchronize(device);
  std::vector<double> times;
  for (int i = 0; i < repeat; ++i) {
    Stopwatch timer;
    f();
    synchronize(device);
    times.push_back(timer.seconds());
  }
  std::sort(times.begin(), times.end());
  const size_t n = times.size();
  return n % 2 ? times[n / 2] : 0.5 * (times[n / 2 - 1] + times[n / 2]);
}

// Random weights of a plausible scale (std 0.02, no NaN, no denormals), as a trained model would have.
// Uniform in [-a, a] with a = 0.02 * sqrt(3), drawn in float32 one tensor at a time: libtorch's bf16
// normal_ is ~3x slower than this (66 s for the base UNet here), and speed of the kernels does not
// depend on the distribution, only on the values being normal floats.
void randomize(torch::nn::Module& m) {
  const double a = 0.02 * std::sqrt(3.0);
  for (auto& p : m.parameters()) {
    if (p.scalar_type() == at::kFloat) {
      p.uniform_(-a, a);
    } else {
      p.copy_(at::empty(p.sizes(), p.options().dtype(at::kFloat)).uniform_(-a, a));
    }
  }
}

// Both text encoders on one CFG pair of prompts (negative + positive, 77 tokens each).
void bench_text_encoders(BenchContext& c) {
  Stopwatch timer;
  std::vector<CLIPTextModel> encoders;
  for (auto [name, projection] : {std::pair{"text_encoder", false}, std::pair{"text_encoder_2", true}}) {
    encoders.emplace_back(CLIPTextConfig::from_json(preset_config("sdxl-base", name), "sdxl-base preset"),
                          projection, c.options());
    randomize(*encoders.back());
  }
  synchronize(c.placement.device);
  c.out["text_build_s"] = timer.seconds();
  at::Tensor ids = at::randint(0, 49406, {2, 77}, at::TensorOptions().dtype(at::kLong)).to(c.placement.device);
  ids.narrow(1, 20, 1).fill_(49407);  // the eos, where the pooled embedding is read
  c.report("text_encode_s", time_median(c.flags.repeat, c.placement.device, [&] {
             for (auto& e : encoders) e->forward(ids);
           }),
           "text encoders (both, CFG pair)");
}

// The UNet of `preset`: forward at batch 1 and 2 (`key_b1`, `key_b2`); for the base also a sampling loop.
void bench_unet(BenchContext& c, const std::string& preset, const std::string& prefix) {
  const auto opts = c.options();
  Stopwatch timer;
  const UNetConfig config = UNetConfig::from_json(preset_config(preset, "unet"), preset + " preset");
  UNet2DConditionModel unet(config, opts);
  randomize(*unet);
  unet->eval();
  synchronize(c.placement.device);
  c.out[prefix + "unet_build_s"] = timer.seconds();

  const int64_t pooled = 1280, ids = config.num_time_ids(pooled);
  auto inputs = [&](int64_t b) {
    return std::vector<at::Tensor>{at::randn({b, 4, c.latent_h, c.latent_w}, opts),
                                   at::full({b}, 500.0, opts.dtype(at::kFloat)),
                                   at::randn({b, 77, config.cross_attention_dim}, opts), at::randn({b, pooled}, opts),
                                   at::full({b, ids}, 512.0, opts)};
  };
  for (int64_t b : {1, 2}) {
    auto in = inputs(b);
    c.report(prefix + (b == 1 ? "unet_forward_b1_s" : "unet_forward_s"),
             time_median(c.flags.repeat, c.placement.device, [&] { unet->forward(in[0], in[1], in[2], in[3], in[4]); }),
             preset + " unet forward batch " + std::to_string(b));
  }
  if (!prefix.empty()) return;
  if (c.flags.all) {
    // One IP-Adapter's decoupled cross-attention (4 image tokens in every attn2) on the CFG batch.
    auto in = inputs(2);
    const UNetExtras ip = random_image_prompt(*unet, 2);
    c.report("unet_forward_ip_s",
             time_median(c.flags.repeat, c.placement.device,
                         [&] { unet->forward(in[0], in[1], in[2], in[3], in[4], nullptr, &ip); }),
             preset + " unet forward batch 2 with one IP-Adapter (4 image tokens)");
  }

  // Sampling steps on the SDXL default (Euler): UNet on the doubled batch with CFG, guidance, update.
  Sampler sampler(make_schedule(SamplerKind::Euler, c.flags.steps, SchedulerConfig{}));
  NoiseSource noise = NoiseSource::batched(0);
  const bool cfg = uses_cfg(c.flags.cfg);
  auto in = inputs(cfg ? 2 : 1);
  UNetConditioning cond;
  cond.context = in[2];
  cond.pooled = in[3];
  cond.time_ids = in[4];
  at::Tensor latents = noise.randn({1, 4, c.latent_h, c.latent_w}, opts) * sampler.init_noise_sigma();
  synchronize(c.placement.device);
  timer.restart();
  DenoiseOptions dopt;
  dopt.cfg = c.flags.cfg;
  denoise(unet, sampler, latents, cond, noise, dopt);
  synchronize(c.placement.device);
  const double loop_s = timer.seconds();
  c.out["loop_s"] = loop_s;
  c.report("step_s", loop_s / c.flags.steps, cfg ? "sampling step (CFG, batch 2)" : "sampling step (no CFG, batch 1)");
}

void bench_vae(BenchContext& c) {
  Stopwatch timer;
  const auto vae_opts = at::TensorOptions().device(c.placement.device).dtype(c.placement.vae_dtype);
  AutoencoderKL vae(VaeConfig::from_json(preset_config("sdxl-base", "vae"), "sdxl-base preset"), vae_opts);
  randomize(*vae);
  c.out["vae_build_s"] = timer.seconds();
  at::Tensor z = at::randn({1, 4, c.latent_h, c.latent_w}, vae_opts) * 0.1;
  c.report("vae_decode_s",
           time_median(std::max(1, c.flags.repeat / 2), c.placement.device, [&] { vae->decode_vae_space(z); }),
           "vae decode");
}

// TAESDXL at its real size (64 channels, ~1.2M parameters per half) and the latent-to-RGB preview map.
void bench_tiny_vae(BenchContext& c) {
  const auto opts = at::TensorOptions().device(c.placement.device).dtype(c.placement.vae_dtype);
  AutoencoderTiny tiny(TinyAutoencoderConfig{}, opts);
  randomize(*tiny);
  at::Tensor z = at::randn({1, 4, c.latent_h, c.latent_w}, opts);
  c.report("tiny_vae_decode_s", time_median(c.flags.repeat, c.placement.device, [&] { tiny->decode(z); }),
           "tiny autoencoder decode (TAESDXL size)");
  c.report("preview_rgb_s", time_median(c.flags.repeat, c.placement.device, [&] { latent_rgb_preview(z); }),
           "latent-to-RGB preview");
}

int run_bench(const BenchFlags& f) {
  apply_runtime(f.runtime);
  c10::InferenceMode inference;
  const Placement p =
      resolve_placement(parse_device(f.device), parse_dtype(f.dtype, "dtype"), parse_dtype(f.vae_dtype, "vae_dtype"));
  const auto wh = io::parse_size(f.size);
  nlohmann::json out;
  out["device"] = p.device.str();
  out["dtype"] = std::string(c10::toString(p.dtype));
  out["vae_dtype"] = std::string(c10::toString(p.vae_dtype));
  out["threads"] = at::get_num_threads();
  out["libtorch"] = TORCH_VERSION;
  out["size"] = f.size;
  out["steps"] = f.steps;
  out["repeat"] = f.repeat;
  BenchContext c{f, p, wh.height / 8, wh.width / 8, out};

  if (f.lora_rank > 0) bench_lora(p, f.lora_rank, f.json, randomize, out);
  bench_text_encoders(c);
  bench_unet(c, "sdxl-base", "");
  if (f.all) bench_unet(c, "sdxl-refiner", "refiner_");
  if (f.all)
    bench_image_encoders(p, f.repeat, randomize,
                         [&](const std::string& k, double s, const std::string& label) { c.report(k, s, label); });
  out["vae_decode_s"] = 0.0;
  if (!f.skip_vae) bench_vae(c);
  bench_tiny_vae(c);
  out["cfg"] = f.cfg;
  out["noise_to_image_tiny_s"] = out["loop_s"].get<double>() + out["tiny_vae_decode_s"].get<double>();
  // The end-to-end figure: from initial noise to the decoded image (steps x CFG UNet + decode).
  out["noise_to_image_s"] = out["loop_s"].get<double>() + out["vae_decode_s"].get<double>();
  out["total_s"] = out["text_encode_s"].get<double>() + out["noise_to_image_s"].get<double>();
  out["peak_rss_mb"] = peak_rss_mb();
#ifdef SDXL_BENCH_CUDA_STATS
  if (p.device.is_cuda()) {
    auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(p.device.index());
    out["peak_cuda_mb"] = stats.allocated_bytes[0].peak / 1048576.0;
  }
#endif
  out["warmup"] = "one warm-up run per timed quantity, excluded";
  std::cout << (f.json ? out.dump() : out.dump(2)) << "\n";
  return kOk;
}

}  // namespace

Command add_bench(CLI::App& app) {
  auto f = std::make_shared<BenchFlags>();
  auto* sub = app.add_subcommand("bench", "Time the full-size SDXL models with random weights (no checkpoint needed)");
  sub->add_option("--size", f->size, "Image size WxH (default 1024x1024)");
  sub->add_option("--steps", f->steps, "Sampling steps of the end-to-end loop (default 4)");
  sub->add_option("--repeat", f->repeat, "Timed runs per quantity, median reported (default 3)");
  sub->add_option("--cfg", f->cfg, "Guidance of the end-to-end loop; <= 1 turns CFG off (default 5)");
  sub->add_option("--device", f->device, "auto | cpu | cuda[:N]");
  sub->add_option("--dtype", f->dtype, "auto | fp32 | fp16 | bf16");
  sub->add_option("--vae-dtype", f->vae_dtype, "auto | fp32 | fp16 | bf16");
  sub->add_option("--lora", f->lora_rank,
                  "Also merge and unmerge a random kohya LoRA of this rank on every attention and feed-forward "
                  "linear of the base UNet and text encoders");
  sub->add_flag("--all", f->all,
                "Also time the refiner UNet, the IP-Adapter image encoders (ViT-bigG/14, ViT-H/14) and one "
                "IP-Adapter's attention in the base UNet");
  sub->add_flag("--skip-vae", f->skip_vae, "Do not time the VAE decoder");
  sub->add_flag("--json", f->json, "One JSON object on stdout");
  add_runtime_flags(*sub, f->runtime, nullptr);
  return Command{sub, [f] {
                   if (f->steps < 1 || f->repeat < 1) throw UsageError("bench: --steps and --repeat must be >= 1");
                   if (f->lora_rank < 0) throw UsageError("bench: --lora must be a rank >= 1");
                   return run_bench(*f);
                 }};
}

}  // namespace sdxl::cli
