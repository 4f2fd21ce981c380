// Replays the sampler of every pipeline golden: the golden's own noise predictions (after CFG) are fed to our
// Sampler, seeded from the case's seed, and every step's latents are compared. This checks the schedule, the
// initial-noise scaling, the step maths, the noise-draw order shared with the initial noise (Euler-a continues
// the same generator; Euler draws one unused randn per step) and img2img / base+refiner ranges end to end.
#include <gtest/gtest.h>

#include <filesystem>

#include "golden_json.h"
#include "sampling/sampler.h"

namespace sdxl {
namespace {

using Tensors = std::map<std::string, at::Tensor>;

nlohmann::json case_json(const std::string& name) {
  std::ifstream f(test::fixture("pipeline_golden/" + name + ".json"));
  return nlohmann::json::parse(f);
}

test::GoldenSampler sampler_of(const std::string& key) {
  for (const auto& gs : test::golden_samplers())
    if (gs.key == key) return gs;
  throw std::runtime_error("unknown sampler key " + key);
}

// Latents reach |x| ~ 40 after a few steps; float32 reordering costs a few ulps of that.
double tolerance(const at::Tensor& want) { return 2e-6 * std::max(1.0, want.abs().max().item<double>()); }

// Runs `sampler` from latents x over steps[prefix + "step_noise_pred"], checking each step's latents.
at::Tensor run_and_check(const std::string& name, Sampler& sampler, at::Tensor x, NoiseSource& noise,
                         const Tensors& g, const std::string& prefix = "") {
  const at::Tensor preds = g.at(prefix + "step_noise_pred"), latents = g.at(prefix + "step_latents");
  EXPECT_EQ(sampler.num_steps(), preds.size(0)) << name;
  for (int i = 0; i < sampler.num_steps() && i < preds.size(0); ++i) {
    x = sampler.step(preds[i], i, x, noise);
    EXPECT_TRUE(test::AllClose(name + " " + prefix + "step_latents[" + std::to_string(i) + "]", x, latents[i],
                               tolerance(latents[i])));
  }
  return x;
}

TEST(PipelineReplay, Txt2ImgCases) {
  const auto config = test::golden_scheduler_config();
  int cases = 0;
  for (const auto& entry : std::filesystem::directory_iterator(test::fixture("pipeline_golden"))) {
    if (entry.path().extension() != ".json") continue;
    const std::string name = entry.path().stem().string();
    const auto j = case_json(name);
    if (j.at("inputs").at("kind") != "txt2img") continue;
    const auto& in = j.at("inputs");
    const auto gs = sampler_of(in.at("sampler").get<std::string>());
    const Tensors g = test::load_golden("pipeline_golden/" + name + ".safetensors");

    Sampler sampler(make_schedule(gs.kind, in.at("steps").get<int>(), config, gs.karras));
    EXPECT_EQ(sampler.schedule().active_timesteps(), test::doubles(j.at("derived").at("timesteps"))) << name;
    EXPECT_EQ(sampler.init_noise_sigma(), j.at("derived").at("init_noise_sigma").get<double>()) << name;
    NoiseSource noise = NoiseSource::batched(in.at("seed").get<uint64_t>());
    const at::Tensor initial = noise.randn(g.at("initial_noise").sizes());
    EXPECT_TRUE(test::AllClose(name + " initial_noise", initial, g.at("initial_noise"), 0.0));
    const at::Tensor x = initial * sampler.init_noise_sigma();
    EXPECT_TRUE(test::AllClose(name + " init_latents", x, g.at("init_latents"), 0.0));
    const at::Tensor final_latents = run_and_check(name, sampler, x, noise, g);
    EXPECT_TRUE(test::AllClose(name + " final_latents", final_latents, g.at("final_latents"),
                               tolerance(g.at("final_latents"))));
    ++cases;
  }
  EXPECT_EQ(cases, 22);
}

// SDEdit refiner: the VAE posterior draws first, then the img2img noise, from one generator (seed 99).
TEST(PipelineReplay, RefinerSdeditStrength03) {
  const std::string name = "refiner_sdedit_strength0.3";
  const auto j = case_json(name);
  const Tensors g = test::load_golden("pipeline_golden/" + name + ".safetensors");
  Sampler sampler(with_strength(make_schedule(SamplerKind::Euler, 10, test::golden_scheduler_config()), 0.3));
  EXPECT_EQ(sampler.schedule().active_timesteps(), test::doubles(j.at("derived").at("timesteps")));

  NoiseSource noise = NoiseSource::batched(99);
  const auto shape = g.at("image_latents").sizes();
  noise.randn(shape);  // latent_dist.sample()
  const at::Tensor img2img_noise = noise.randn(shape);
  EXPECT_TRUE(test::AllClose(name + " add_noise", img2img_noise, g.at("add_noise"), 0.0));
  const at::Tensor x = sampler.add_noise(g.at("image_latents"), img2img_noise);
  EXPECT_TRUE(test::AllClose(name + " init_latents", x, g.at("init_latents"), 0.0));
  const at::Tensor out = run_and_check(name, sampler, x, noise, g);
  EXPECT_TRUE(test::AllClose(name + " final_latents", out, g.at("final_latents"), tolerance(g.at("final_latents"))));
}

// Base (denoising_end 0.8, seed 2024) hands its latents as they are to the refiner (denoising_start 0.8, seed 2025).
TEST(PipelineReplay, RefinerEnsembleEuler8) {
  const std::string name = "refiner_ensemble_euler_8";
  const auto j = case_json(name);
  const Tensors g = test::load_golden("pipeline_golden/" + name + ".safetensors");
  const Schedule full = make_schedule(SamplerKind::Euler, 8, test::golden_scheduler_config());

  Sampler base(with_denoising_end(full, 0.8));
  EXPECT_EQ(base.schedule().active_timesteps(), test::doubles(j.at("derived").at("base_timesteps")));
  NoiseSource base_noise = NoiseSource::batched(2024);
  const at::Tensor initial = base_noise.randn(g.at("base.initial_noise").sizes());
  EXPECT_TRUE(test::AllClose(name + " base.initial_noise", initial, g.at("base.initial_noise"), 0.0));
  const at::Tensor handed_over = run_and_check(name, base, initial * base.init_noise_sigma(), base_noise, g, "base.");
  EXPECT_TRUE(test::AllClose(name + " base.final_latents", handed_over, g.at("base.final_latents"),
                             tolerance(g.at("base.final_latents"))));

  Sampler refiner(with_denoising_start(full, 0.8));
  EXPECT_EQ(refiner.schedule().active_timesteps(), test::doubles(j.at("derived").at("refiner_timesteps")));
  NoiseSource refiner_noise = NoiseSource::batched(2025);
  const at::Tensor out = run_and_check(name, refiner, g.at("refiner.init_latents"), refiner_noise, g, "refiner.");
  EXPECT_TRUE(test::AllClose(name + " refiner.final_latents", out, g.at("refiner.final_latents"),
                             tolerance(g.at("refiner.final_latents"))));
}

}  // namespace
}  // namespace sdxl
