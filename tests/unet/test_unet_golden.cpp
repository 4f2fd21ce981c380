// Golden tests against tests/fixtures/model_golden.safetensors (diffusers v0.27.2, float32 CPU):
// timestep sinusoids, the base/refiner embeddings with every intermediate, and full UNet forwards with
// every recorded block output, so a failure names the first diverging block.
#include <gtest/gtest.h>

#include "common/error.h"
#include "unet/embeddings.h"
#include "unet_fixtures.h"

namespace sdxl {
namespace {

// Component outputs (embeddings, every UNet block, base and refiner) on CPU fp32. Measured (2026-12-07,
// SDXL_TEST_ERROR_LOG over sdxl_tests_unet: 108 comparisons): worst 3.93e-6 (unet_base.act.conv_norm_out, |x| up
// to 3.9); bound 3e-5 (7.6x). Was README-models.md sec. 7's suggested 1e-4.
constexpr double kAtol = 3e-5;

TEST(TimestepEmbedding, MatchesGoldenSinusoids) {
  c10::InferenceMode guard;
  for (const auto& [name, dim] : std::vector<std::pair<std::string, int64_t>>{{"sin32", 32}, {"sin16", 16}}) {
    at::Tensor t = test::golden("temb." + name + ".t");
    at::Tensor got = timestep_embedding(t, dim, /*flip_sin_to_cos=*/true, /*shift=*/0.0);
    EXPECT_TRUE(test::AllClose("temb." + name + ".out", got, test::golden("temb." + name + ".out"), kAtol));
    std::cout << "[ max diff ] temb." << name << ".out " << test::max_abs_diff(got, test::golden("temb." + name + ".out"))
              << "\n";
  }
}

TEST(TimestepEmbedding, LayoutCosFirstIntegerInputsAndOddDim) {
  c10::InferenceMode guard;
  at::Tensor t = at::tensor({0.0f, 500.0f});
  at::Tensor e = timestep_embedding(t, 8, true, 0.0);
  // t = 0: cos = 1 in the first half, sin = 0 in the second.
  EXPECT_TRUE(test::AllClose("cos(0)", e[0].slice(0, 0, 4), at::ones({4}), 0));
  EXPECT_TRUE(test::AllClose("sin(0)", e[0].slice(0, 4, 8), at::zeros({4}), 0));
  // f_0 = 1: column 0 = cos(t), column 4 = sin(t); the last frequency is exp(-ln(1e4) * 3/4).
  EXPECT_NEAR(e[1][0].item<double>(), std::cos(500.0), 1e-5);
  EXPECT_NEAR(e[1][4].item<double>(), std::sin(500.0), 1e-5);
  EXPECT_NEAR(e[1][3].item<double>(), std::cos(500.0 * std::exp(-std::log(1e4) * 3 / 4)), 1e-5);
  EXPECT_TRUE(test::AllClose("int64 timesteps", timestep_embedding(at::tensor({0L, 500L}), 8, true, 0.0), e, 0));
  at::Tensor unflipped = timestep_embedding(t, 8, false, 0.0);
  EXPECT_TRUE(test::AllClose("flip_sin_to_cos=false", unflipped, at::cat({e.slice(1, 4), e.slice(1, 0, 4)}, 1), 0));
  at::Tensor odd = timestep_embedding(t, 9, true, 0.0);
  EXPECT_EQ(odd.size(1), 9);
  EXPECT_TRUE(test::AllClose("odd dim zero pad", odd.select(1, 8), at::zeros({2}), 0));
}

void expect_embedding_golden(const std::string& model, const std::string& prefix) {
  c10::InferenceMode guard;
  auto& unet = test::tiny_unet(model);
  Activations parts;
  at::Tensor emb = unet->embedding(test::golden(prefix + "timesteps"), test::golden(prefix + "pooled"),
                                   test::golden(prefix + "time_ids"), at::kFloat, &parts);
  EXPECT_TRUE(test::AllClose(prefix + "emb (returned)", emb, test::golden(prefix + "emb"), kAtol));
  for (const char* part : {"t_sinusoid", "time_embedding", "time_ids_fourier", "add_embeds", "aug_emb", "emb"}) {
    ASSERT_TRUE(parts.count(part)) << part << " not recorded";
    EXPECT_TRUE(test::AllClose(prefix + part, parts[part], test::golden(prefix + part), kAtol));
    std::cout << "[ max diff ] " << prefix << part << " " << test::max_abs_diff(parts[part], test::golden(prefix + part))
              << "\n";
  }
}

TEST(UNetEmbedding, BaseMatchesGoldenIntermediates) { expect_embedding_golden("tiny-sdxl", "emb.base."); }
TEST(UNetEmbedding, RefinerMatchesGoldenIntermediates) { expect_embedding_golden("tiny-sdxl-refiner", "emb.refiner."); }

// Runs the golden inputs `<prefix>in.*` and compares out and every `<prefix>act.*`.
void expect_unet_golden(const std::string& model, const std::string& prefix) {
  c10::InferenceMode guard;
  auto& unet = test::tiny_unet(model);
  Activations acts;
  at::Tensor out = unet(test::golden(prefix + "in.sample"), test::golden(prefix + "in.timesteps"),
                        test::golden(prefix + "in.encoder_hidden_states"), test::golden(prefix + "in.text_embeds"),
                        test::golden(prefix + "in.time_ids"), &acts);
  size_t compared = 0;
  double worst = 0;
  const std::string act_prefix = prefix + "act.";
  for (const auto& [key, want] : test::model_golden()) {
    if (key.rfind(act_prefix, 0) != 0) continue;
    const std::string name = key.substr(act_prefix.size());
    auto it = acts.find(name);
    if (it == acts.end()) {
      ADD_FAILURE() << key << ": activation not recorded";
      continue;
    }
    EXPECT_TRUE(test::AllClose(key, it->second, want, kAtol));
    worst = std::max(worst, test::max_abs_diff(it->second, want));
    ++compared;
  }
  EXPECT_GT(compared, 30u);
  EXPECT_TRUE(test::AllClose(prefix + "out", out, test::golden(prefix + "out"), kAtol));
  std::cout << "[ max diff ] " << prefix << "out " << test::max_abs_diff(out, test::golden(prefix + "out")) << ", worst of "
            << compared << " activations " << worst << "\n";
}

TEST(UNetGolden, BaseForwardMatchesEveryBlock) { expect_unet_golden("tiny-sdxl", "unet_base."); }

// Latent 12x8: the refiner's third downsampler maps height 3 -> 2, so up_blocks.0 must upsample to the
// skip's 3x2, not 4x2 (nearest with src = floor(dst * in / out)).
TEST(UNetGolden, RefinerForwardMatchesEveryBlockIncludingOddUpsample) {
  expect_unet_golden("tiny-sdxl-refiner", "unet_refiner.");
}

// A single timestep (0-dim or [1], any dtype) applies to every batch item. Batch items are independent,
// so item 0 of the golden batch run alone, or twice, gives golden out[0].
TEST(UNetForward, ScalarTimestepBroadcastsToTheBatch) {
  c10::InferenceMode guard;
  auto& unet = test::tiny_unet("tiny-sdxl");
  const std::string p = "unet_base.in.";
  auto item0 = [&](const std::string& name, int64_t copies) {
    at::Tensor t = test::golden(p + name).slice(0, 0, 1);
    return at::cat(std::vector<at::Tensor>(copies, t), 0);
  };
  const at::Tensor want = test::golden("unet_base.out").slice(0, 0, 1);
  const at::Tensor t0 = test::golden(p + "timesteps")[0];
  at::Tensor alone = unet(item0("sample", 1), t0, item0("encoder_hidden_states", 1), item0("text_embeds", 1),
                          item0("time_ids", 1));
  EXPECT_TRUE(test::AllClose("batch 1, 0-dim timestep", alone, want, kAtol));
  at::Tensor twice = unet(item0("sample", 2), at::tensor({t0.item<float>()}).to(at::kLong),
                          item0("encoder_hidden_states", 2), item0("text_embeds", 2), item0("time_ids", 2));
  EXPECT_TRUE(test::AllClose("batch 2, [1] int64 timestep, item 0", twice.slice(0, 0, 1), want, kAtol));
  EXPECT_TRUE(test::AllClose("batch 2, [1] int64 timestep, item 1", twice.slice(0, 1, 2), want, kAtol));
}

TEST(UNetForward, BadInputsThrowNamingTheArgument) {
  c10::InferenceMode guard;
  auto& unet = test::tiny_unet("tiny-sdxl");
  const std::string p = "unet_base.in.";
  at::Tensor sample = test::golden(p + "sample"), t = test::golden(p + "timesteps"),
             ctx = test::golden(p + "encoder_hidden_states"), pooled = test::golden(p + "text_embeds"),
             ids = test::golden(p + "time_ids");
  auto message = [&](auto&& fn) -> std::string {
    try {
      fn();
    } catch (const Error& e) {
      return e.what();
    }
    return "<no sdxl::Error>";
  };
  EXPECT_NE(message([&] { unet(sample.slice(1, 0, 3), t, ctx, pooled, ids); }).find("sample"), std::string::npos);
  EXPECT_NE(message([&] { unet(sample, at::zeros({3}), ctx, pooled, ids); }).find("timesteps"), std::string::npos);
  EXPECT_NE(message([&] { unet(sample, t, ctx.slice(2, 0, 48), pooled, ids); }).find("encoder_hidden_states"),
            std::string::npos);
  EXPECT_NE(message([&] { unet(sample, t, ctx, pooled.slice(0, 0, 1), ids); }).find("text_embeds"), std::string::npos);
  // Refiner-style 5 time ids on the base: the add-embedding width does not match.
  EXPECT_NE(message([&] { unet(sample, t, ctx, pooled, ids.slice(1, 0, 5)); }).find("projection_class_embeddings_input_dim"),
            std::string::npos);
}

}  // namespace
}  // namespace sdxl

namespace sdxl {
namespace {

// The model takes its dtype from construction and its inputs (fp16/bf16 weights as on a GPU); the timestep
// and time-id sinusoids stay float32 internally. Reduced precision only loosens the match.
TEST(UNetForward, ReducedPrecisionTracksTheFloat32Golden) {
  c10::InferenceMode guard;
  const std::string p = "unet_base.in.";
  const at::Tensor want = test::golden("unet_base.out");
  // Measured (CPU, 2026-12-07): bf16 0.0209, fp16 0.00157 max abs against the fp32 golden (output std ~0.33).
  // Bounds ~5x: bf16 0.1 (its rounding differs between CPUs with and without native bf16 and CUDA), fp16 0.01.
  for (const auto& [dtype, atol] : std::vector<std::pair<at::ScalarType, double>>{{at::kBFloat16, 0.1}, {at::kHalf, 0.01}}) {
    UNet2DConditionModel unet(test::unet_config_file(test::unet_dir("tiny-sdxl") + "/config.json"),
                              at::TensorOptions().dtype(dtype));
    load_state_dict(*unet, test::unet_weights("tiny-sdxl"), "tiny-sdxl unet");
    at::Tensor out = unet(test::golden(p + "sample").to(dtype), test::golden(p + "timesteps"),
                          test::golden(p + "encoder_hidden_states").to(dtype), test::golden(p + "text_embeds").to(dtype),
                          test::golden(p + "time_ids"));
    EXPECT_EQ(out.scalar_type(), dtype);
    EXPECT_TRUE(test::AllClose(std::string("unet_base.out in ") + c10::toString(dtype), out, want, atol));
    std::cout << "[ max diff ] unet_base.out " << c10::toString(dtype) << " " << test::max_abs_diff(out, want) << "\n";
  }
}

}  // namespace
}  // namespace sdxl

namespace sdxl {
namespace {

// Latent sides that are not multiples of 2^(upsamplers): every upsampler resizes to its skip's size, so the
// output always has the input's spatial size (diffusers' upsample_size path).
TEST(UNetForward, OddLatentSizesKeepTheirShape) {
  c10::InferenceMode guard;
  for (const std::string model : {"tiny-sdxl", "tiny-sdxl-refiner"}) {
    auto& unet = test::tiny_unet(model);
    const auto& c = unet->config();
    const int64_t pooled = 32, ids = c.num_time_ids(pooled);
    at::Tensor out = unet(at::randn({1, 4, 7, 5}), at::tensor({500.0f}), at::randn({1, 77, c.cross_attention_dim}),
                          at::randn({1, pooled}), at::full({1, ids}, 64.0f));
    EXPECT_EQ(out.sizes(), (std::vector<int64_t>{1, 4, 7, 5})) << model;
    EXPECT_TRUE(out.isfinite().all().item<bool>()) << model;
  }
}

}  // namespace
}  // namespace sdxl
