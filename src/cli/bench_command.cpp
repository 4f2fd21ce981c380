// `sdxl-gen bench`: speed and memory of the full-size SDXL 1.0 models with random weights (no checkpoint
// needed). Stages run in the order of a generation (text encoders, base UNet, refiner UNet with --all, VAE),
// each model released before the next is built, as --low-memory does. Warm-up runs are excluded; times are
// medians over --repeat runs.
#include <algorithm>
#include <iostream>

#include "cli/bench_control.h"
#include "cli/bench_image_encoder.h"
#include "cli/bench_lora.h"
#include "cli/bench_timing.h"
#include "cli/bench_profile.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/progress.h"
#include "cli/runtime.h"
#include "common/stopwatch.h"
#include "io/size_parse.h"
#include "pipeline/denoise.h"
#include "pipeline/device.h"
#include "pipeline/preview.h"
#include "sdxl/enum_table.h"
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

// Median seconds of `repeat` timed runs of f, each waiting for the device (the warm-up is the caller's).
double median_of_runs(int repeat, const at::Device& device, const std::function<void()>& f) {
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

}  // namespace

double time_median(int repeat, const at::Device& device, const std::function<void()>& f) {
  f();
  synchronize(device);
  return median_of_runs(repeat, device, f);
}

namespace {

// What a bench run times (`--only`); the GEMM rate every ratio refers to is always measured.
enum class BenchPart { Text, Unet, UnetCfg, Loop, Vae, Tiny };
constexpr std::array<EnumName<BenchPart>, 6> kBenchParts{{{BenchPart::Text, "text"},
                                                          {BenchPart::Unet, "unet"},
                                                          {BenchPart::UnetCfg, "unet-cfg"},
                                                          {BenchPart::Loop, "loop"},
                                                          {BenchPart::Vae, "vae"},
                                                          {BenchPart::Tiny, "tiny"}}};
static_assert(table_complete(kBenchParts, BenchPart::Tiny));

struct BenchFlags {
  std::string size = "1024x1024", device = "auto", dtype = "auto", vae_dtype = "auto";
  int steps = 4, repeat = 3;
  int64_t lora_rank = 0;  // > 0: time a random LoRA of this rank on the base models first (bench_lora.h)
  double cfg = 5.0;  // the loop's guidance: <= 1 runs the UNet on batch 1 (few-step recipes)
  bool json = false, skip_vae = false, all = false, control = false, profile = false;
  std::vector<std::string> only;  // parts to time (kBenchParts names); empty: all
  RuntimeFlags runtime;

  bool runs(BenchPart part) const {
    if (part == BenchPart::Vae && skip_vae) return false;
    if (only.empty()) return true;
    return std::find(only.begin(), only.end(), enum_name(kBenchParts, part)) != only.end();
  }
};

struct BenchContext {
  const BenchFlags& flags;
  Placement placement;
  int64_t latent_h, latent_w;
  nlohmann::json& out;

  double gemm_rate = 0, vae_gemm_rate = 0;  // FLOP/s of a dense matmul in the UNet's / the VAE's dtype

  at::TensorOptions options() const { return at::TensorOptions().device(placement.device).dtype(placement.dtype); }
  void report(const std::string& key, double seconds, const std::string& label) {
    out[key] = seconds;
    if (!flags.json) std::cerr << label << ": " << seconds << " s\n";
  }
};

struct Timing {
  double median_s = 0;  // of the timed runs
  double first_s = 0;   // the warm-up run: the first call's one-time costs (primitive creation, JIT) on top
  double flops = 0;     // matrix work of one run, counted from the op shapes during the warm-up
};

// Median seconds of `repeat` runs of f after one warm-up run (observed to count its FLOPs).
Timing time_runs(int repeat, const at::Device& device, const std::function<void()>& f) {
  Timing t;
  {
    Stopwatch first;
    OpProfile counter;
    f();
    synchronize(device);
    t.first_s = first.seconds();
    t.flops = counter.total_flops();
  }
  t.median_s = median_of_runs(repeat, device, f);
  return t;
}

// The machine's dense matrix-multiply rate in `dtype` (FLOP/s, median of 11 square 2048 products: fewer
// moved by 15% between runs), the yardstick of every ratio the bench reports: absolute seconds move between
// machines of one kind.
double gemm_rate(const at::TensorOptions& opts) {
  constexpr int64_t n = 2048;
  const at::Tensor a = at::randn({n, n}, opts), b = at::randn({n, n}, opts);
  const double s = time_median(11, opts.device(), [&] { at::mm(a, b); });
  return 2.0 * n * n * n / s;
}

// One more run of f under the op profiler: the table on stderr, its JSON form in out["profile"][key].
void profile_run(BenchContext& c, const std::string& key, const std::string& title, double rate,
                 const std::function<void()>& f) {
  if (!c.flags.profile) return;
  OpProfile profile;
  Stopwatch timer;
  f();
  synchronize(c.placement.device);
  const double wall = timer.seconds();
  std::cerr << profile.table(title, wall, rate);
  c.out["profile"][key] = profile.to_json(wall);
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
    if (!c.flags.runs(b == 1 ? BenchPart::Unet : BenchPart::UnetCfg)) continue;
    auto in = inputs(b);
    auto forward = [&] { unet->forward(in[0], in[1], in[2], in[3], in[4]); };
    const std::string key = prefix + (b == 1 ? "unet_forward_b1" : "unet_forward");
    const Timing t = time_runs(c.flags.repeat, c.placement.device, forward);
    c.report(key + "_s", t.median_s, preset + " unet forward batch " + std::to_string(b));
    c.out[key + "_first_s"] = t.first_s;
    c.out[key + "_flops"] = t.flops;
    if (b == 1) profile_run(c, key, preset + " UNet forward, batch 1, " + c.flags.size, c.gemm_rate, forward);
  }
  if (!prefix.empty() || !c.flags.runs(BenchPart::Loop)) return;
  if (c.flags.all) {
    // One IP-Adapter's decoupled cross-attention (4 image tokens in every attn2) on the CFG batch.
    auto in = inputs(2);
    const UNetExtras ip = random_image_prompt(*unet, 2);
    c.report("unet_forward_ip_s",
             time_median(c.flags.repeat, c.placement.device,
                         [&] { unet->forward(in[0], in[1], in[2], in[3], in[4], nullptr, &ip); }),
             preset + " unet forward batch 2 with one IP-Adapter (4 image tokens)");
  }
  if (c.flags.all || c.flags.control)
    bench_control(unet, preset_config(preset, "unet"), inputs(2), c.flags.repeat, c.placement.device, randomize,
                  [&](const std::string& k, double s, const std::string& label) { c.report(k, s, label); }, c.out);

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
  {
    OpProfile counter;
    denoise(unet, sampler, latents, cond, noise, dopt);
    synchronize(c.placement.device);
    c.out["loop_flops"] = counter.total_flops();
  }
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
  auto decode = [&] { vae->decode_vae_space(z); };
  const Timing t = time_runs(std::max(1, c.flags.repeat / 2), c.placement.device, decode);
  c.report("vae_decode_s", t.median_s, "vae decode");
  c.out["vae_decode_first_s"] = t.first_s;
  c.out["vae_decode_flops"] = t.flops;
  profile_run(c, "vae_decode", "VAE decode, " + c.flags.size, c.vae_gemm_rate, decode);
}

// TAESDXL at its real size (64 channels, ~1.2M parameters per half) and the latent-to-RGB preview map.
void bench_tiny_vae(BenchContext& c) {
  const auto opts = at::TensorOptions().device(c.placement.device).dtype(c.placement.vae_dtype);
  AutoencoderTiny tiny(TinyAutoencoderConfig{}, opts);
  randomize(*tiny);
  at::Tensor z = at::randn({1, 4, c.latent_h, c.latent_w}, opts);
  const Timing t = time_runs(c.flags.repeat, c.placement.device, [&] { tiny->decode(z); });
  c.report("tiny_vae_decode_s", t.median_s, "tiny autoencoder decode (TAESDXL size)");
  c.out["tiny_vae_decode_first_s"] = t.first_s;
  c.report("preview_rgb_s", time_median(c.flags.repeat, c.placement.device, [&] { latent_rgb_preview(z); }),
           "latent-to-RGB preview");
}

// The figures issue 28 sets targets on, each a ratio of quantities measured in this run (absent when a
// quantity was not timed): matrix work done per second as a fraction of the GEMM rate ("rate"), the
// sampling loop's step against a bare forward of the same batch, and the few-step recipe's parts.
nlohmann::json speed_ratios(const nlohmann::json& out) {
  nlohmann::json r = nlohmann::json::object();
  auto has = [&](const char* k) { return out.contains(k) && out[k].get<double>() > 0; };
  const double gemm = out["gemm_flops"], vae_gemm = out["vae_gemm_flops"];
  if (has("unet_forward_b1_s"))
    r["unet_b1_rate"] = out["unet_forward_b1_flops"].get<double>() / out["unet_forward_b1_s"].get<double>() / gemm;
  if (has("unet_forward_s"))
    r["unet_b2_rate"] = out["unet_forward_flops"].get<double>() / out["unet_forward_s"].get<double>() / gemm;
  if (has("vae_decode_s"))
    r["vae_decode_rate"] = out["vae_decode_flops"].get<double>() / out["vae_decode_s"].get<double>() / vae_gemm;
  if (has("loop_s")) {
    const double loop = out["loop_s"], step = out["step_s"];
    // Sampling against its ideal: the loop's matrix work at the GEMM rate.
    r["loop_rate"] = out["loop_flops"].get<double>() / loop / gemm;
    const char* forward = out["cfg"].get<double>() > 1 ? "unet_forward_s" : "unet_forward_b1_s";
    if (has(forward)) r["step_over_forward"] = step / out[forward].get<double>();
    if (has("tiny_vae_decode_s")) {
      const double text = out["text_encode_s"], tiny = out["tiny_vae_decode_s"];
      r["tiny_recipe_encode_decode_share"] = (text + tiny) / (text + loop + tiny);
    }
  }
  for (const char* k : {"unet_forward_b1", "vae_decode"}) {
    const std::string first = std::string(k) + "_first_s", median = std::string(k) + "_s";
    if (has(median.c_str())) r[std::string(k) + "_warmup_s"] = out[first].get<double>() - out[median].get<double>();
  }
  return r;
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

  // The yardsticks first, in both float types (the figures of one run are compared with each other only).
  std::map<at::ScalarType, double> rates;
  for (auto [key, dtype] : {std::pair{"gemm_bf16_flops", at::kBFloat16}, std::pair{"gemm_fp32_flops", at::kFloat}})
    out[key] = rates[dtype] = gemm_rate(at::TensorOptions().device(p.device).dtype(dtype));
  auto rate_of = [&](at::ScalarType t) {
    if (!rates.count(t)) rates[t] = gemm_rate(c.options().dtype(t));
    return rates[t];
  };
  c.gemm_rate = rate_of(p.dtype);
  c.vae_gemm_rate = rate_of(p.vae_dtype);
  out["gemm_flops"] = c.gemm_rate;
  out["vae_gemm_flops"] = c.vae_gemm_rate;
  if (!f.json) std::cerr << "GEMM rate: " << c.gemm_rate / 1e9 << " GFLOP/s (" << c10::toString(p.dtype) << ")\n";

  if (f.lora_rank > 0) bench_lora(p, f.lora_rank, f.json, randomize, out);
  out["text_encode_s"] = 0.0;
  if (f.runs(BenchPart::Text)) bench_text_encoders(c);
  if (f.runs(BenchPart::Unet) || f.runs(BenchPart::UnetCfg) || f.runs(BenchPart::Loop)) bench_unet(c, "sdxl-base", "");
  if (f.all) bench_unet(c, "sdxl-refiner", "refiner_");
  if (f.all)
    bench_image_encoders(p, f.repeat, randomize,
                         [&](const std::string& k, double s, const std::string& label) { c.report(k, s, label); });
  out["vae_decode_s"] = 0.0;
  if (f.runs(BenchPart::Vae)) bench_vae(c);
  out["tiny_vae_decode_s"] = 0.0;
  if (f.runs(BenchPart::Tiny)) bench_tiny_vae(c);
  out["cfg"] = f.cfg;
  const double loop_s = out.value("loop_s", 0.0);
  out["noise_to_image_tiny_s"] = loop_s + out["tiny_vae_decode_s"].get<double>();
  // The end-to-end figure: from initial noise to the decoded image (steps x CFG UNet + decode).
  out["noise_to_image_s"] = loop_s + out["vae_decode_s"].get<double>();
  out["total_s"] = out["text_encode_s"].get<double>() + out["noise_to_image_s"].get<double>();
  out["ratios"] = speed_ratios(out);
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
                "IP-Adapter's attention in the base UNet, and what --control times");
  sub->add_flag("--control", f->control,
                "Also time a full-size SDXL ControlNet (random weights): its forward and one control step on the CFG "
                "batch, and the peak RSS it adds");
  sub->add_flag("--skip-vae", f->skip_vae, "Do not time the VAE decoder");
  sub->add_option("--only", f->only, "Time only these parts: " + enum_names(kBenchParts) + " (default: all)")
      ->delimiter(',');
  sub->add_flag("--profile", f->profile,
                "Also run the batch-1 UNet forward and the VAE decode once more under an op profiler and print "
                "where the time goes (markdown tables on stderr, JSON under \"profile\")");
  sub->add_flag("--json", f->json, "One JSON object on stdout");
  add_runtime_flags(*sub, f->runtime, nullptr);
  return Command{sub, [f] {
                   if (f->steps < 1 || f->repeat < 1) throw UsageError("bench: --steps and --repeat must be >= 1");
                   if (f->lora_rank < 0) throw UsageError("bench: --lora must be a rank >= 1");
                   for (const auto& part : f->only) parse_enum(kBenchParts, part, "only");
                   return run_bench(*f);
                 }};
}

}  // namespace sdxl::cli
