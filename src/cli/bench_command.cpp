// `sdxl-gen bench`: speed and memory of the full-size SDXL 1.0 models with random weights (no checkpoint
// needed). Warm-up runs are excluded; times are medians over --repeat runs.
#include <algorithm>
#include <chrono>
#include <iostream>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/progress.h"
#include "cli/runtime.h"
#include "io/size_parse.h"
#include "pipeline/denoise.h"
#include "pipeline/device.h"
#include "sampling/sampler_kind.h"
#include "sampling/schedule.h"
#include "unet/unet.h"
#include "vae/autoencoder.h"
#include "weights/presets.h"

#ifdef __has_include
#if __has_include(<c10/cuda/CUDACachingAllocator.h>)
#include <c10/cuda/CUDACachingAllocator.h>
#define SDXL_BENCH_CUDA_STATS 1
#endif
#endif

namespace sdxl::cli {
namespace {

using Clock = std::chrono::steady_clock;

struct BenchFlags {
  std::string size = "1024x1024", device = "auto", dtype = "auto", vae_dtype = "auto";
  int steps = 4, repeat = 3;
  bool json = false, skip_vae = false;
  RuntimeFlags runtime;
};

void sync(const at::Device& d) {
  if (d.is_cuda()) torch::cuda::synchronize(d.index());
}

// Median seconds of `repeat` runs of f after one warm-up run.
double time_median(int repeat, const at::Device& device, const std::function<void()>& f) {
  f();
  sync(device);
  std::vector<double> times;
  for (int i = 0; i < repeat; ++i) {
    auto t0 = Clock::now();
    f();
    sync(device);
    times.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

// Random weights of a plausible scale (no NaN, no denormals), as a trained model would have.
void randomize(torch::nn::Module& m) {
  torch::NoGradGuard no_grad;
  for (auto& p : m.parameters()) p.normal_(0.0, 0.02);
}

int run_bench(const BenchFlags& f) {
  apply_runtime(f.runtime);
  c10::InferenceMode inference;
  const Placement p = resolve_placement(f.device, f.dtype, f.vae_dtype);
  const auto wh = io::parse_size(f.size);
  const int64_t h = wh.height / 8, w = wh.width / 8;
  const auto opts = at::TensorOptions().device(p.device).dtype(p.dtype);
  nlohmann::json out;
  out["device"] = p.device.str();
  out["dtype"] = std::string(c10::toString(p.dtype));
  out["vae_dtype"] = std::string(c10::toString(p.vae_dtype));
  out["threads"] = at::get_num_threads();
  out["libtorch"] = TORCH_VERSION;
  out["size"] = f.size;
  out["steps"] = f.steps;
  out["repeat"] = f.repeat;

  auto t0 = Clock::now();
  UNet2DConditionModel unet(UNetConfig::from_json(preset_config("sdxl-base", "unet"), "sdxl-base preset"), opts);
  randomize(*unet);
  unet->eval();
  sync(p.device);
  out["unet_build_s"] = std::chrono::duration<double>(Clock::now() - t0).count();

  auto inputs = [&](int64_t b) {
    return std::vector<at::Tensor>{at::randn({b, 4, h, w}, opts), at::full({b}, 500.0, opts.dtype(at::kFloat)),
                                   at::randn({b, 77, 2048}, opts), at::randn({b, 1280}, opts),
                                   at::tensor({1024.f, 1024.f, 0.f, 0.f, 1024.f, 1024.f}).repeat({b, 1}).to(p.device)};
  };
  for (int64_t b : {1, 2}) {
    auto in = inputs(b);
    double s = time_median(f.repeat, p.device, [&] { unet->forward(in[0], in[1], in[2], in[3], in[4]); });
    out[b == 1 ? "unet_forward_b1_s" : "unet_forward_s"] = s;
    if (!f.json) std::cerr << "unet forward batch " << b << ": " << s << " s\n";
  }

  // Sampling steps with CFG on the SDXL default (Euler): UNet on the doubled batch, guidance, update.
  SchedulerConfig config;
  Schedule schedule = make_schedule(SamplerKind::Euler, f.steps, config);
  Sampler sampler(schedule);
  NoiseSource noise = NoiseSource::batched(0);
  UNetConditioning cond;
  auto in = inputs(2);
  cond.context = in[2];
  cond.pooled = in[3];
  cond.time_ids = in[4];
  DenoiseOptions dopt;
  at::Tensor latents = noise.randn({1, 4, h, w}, opts) * sampler.init_noise_sigma();
  sync(p.device);
  t0 = Clock::now();
  latents = denoise(unet, sampler, latents, cond, noise, dopt);
  sync(p.device);
  const double loop_s = std::chrono::duration<double>(Clock::now() - t0).count();
  out["step_s"] = loop_s / f.steps;
  if (!f.json) std::cerr << "sampling step (CFG, batch 2): " << loop_s / f.steps << " s\n";
  unet = nullptr;

  double vae_s = 0;
  if (!f.skip_vae) {
    t0 = Clock::now();
    AutoencoderKL vae(VaeConfig::from_json(preset_config("sdxl-base", "vae"), "sdxl-base preset"));
    vae->to(p.device, p.vae_dtype);
    randomize(*vae);
    out["vae_build_s"] = std::chrono::duration<double>(Clock::now() - t0).count();
    at::Tensor z = at::randn({1, 4, h, w}, opts.dtype(p.vae_dtype)) * 0.1;
    vae_s = time_median(std::max(1, f.repeat / 2), p.device, [&] { vae->decode_vae_space(z); });
    if (!f.json) std::cerr << "vae decode: " << vae_s << " s\n";
  }
  out["vae_decode_s"] = vae_s;
  out["total_s"] = loop_s + vae_s;
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
  auto* sub = app.add_subcommand("bench", "Time the full-size SDXL base UNet and VAE with random weights");
  sub->add_option("--size", f->size, "Image size WxH (default 1024x1024)");
  sub->add_option("--steps", f->steps, "Sampling steps of the end-to-end loop (default 4)");
  sub->add_option("--repeat", f->repeat, "Timed runs per quantity, median reported (default 3)");
  sub->add_option("--device", f->device, "auto | cpu | cuda[:N]");
  sub->add_option("--dtype", f->dtype, "auto | fp32 | fp16 | bf16");
  sub->add_option("--vae-dtype", f->vae_dtype, "auto | fp32 | fp16 | bf16");
  sub->add_flag("--skip-vae", f->skip_vae, "Do not time the VAE decoder");
  sub->add_flag("--json", f->json, "One JSON object on stdout");
  add_runtime_flags(*sub, f->runtime, nullptr);
  return Command{sub, [f] {
                   if (f->steps < 1 || f->repeat < 1) throw UsageError("bench: --steps and --repeat must be >= 1");
                   return run_bench(*f);
                 }};
}

}  // namespace sdxl::cli
