// ControlNet against the reference (tests/control/make_control_goldens.py: diffusers 0.27.2
// StableDiffusionXLControlNetPipeline and its img2img / inpainting variants on a tiny ControlNet made from the
// tiny base UNet, zero convolutions re-randomised) and the loader's and control stage's invariants.
#include <gtest/gtest.h>

#include "control/control_model.h"
#include "io/png.h"
#include "io/safetensors.h"
#include "pipeline/golden_case.h"
#include "weights/checkpoint.h"
#include "weights/state_dict.h"

namespace sdxl::test {
namespace {

GoldenCase load_control_case(const std::string& name) {
  GoldenCase c = read_golden_case("control_golden", name);
  const nlohmann::json& in = c.spec["inputs"];
  GenerationRequest& r = c.request;
  r.adapters.control_guess_mode = in["guess_mode"];
  for (const auto& j : in["controls"]) {
    ControlSpec s;
    s.model = fixture("control_golden/" + j["model"].get<std::string>());
    s.image = fixture("control_golden/" + j["image"].get<std::string>());
    s.scale = j["scale"];
    s.start = j["start"];
    s.end = j["end"];
    r.adapters.controls.push_back(s);
  }
  if (in.contains("init_image")) {
    r.img2img.init_image = fixture(in["init_image"]);
    r.img2img.strength = in["strength"];
  }
  if (in.contains("mask")) r.inpaint.mask = fixture(in["mask"]);
  if (in.contains("hires_scale")) {
    r.hires.scale = in["hires_scale"].get<double>();
    r.hires.steps = in["hires_steps"].get<int>();
    r.hires.strength = in["hires_strength"];
    r.hires.upscaler = parse_enum(kHiresUpscalerNames, in["hires_upscaler"].get<std::string>(), "hires_upscaler");
  }
  if (in.contains("refiner")) {
    c.options.refiner = fixture(in["refiner"]);
    r.refiner.strength = in["refiner_strength"];
  }
  for (const auto& j : in.value("loras", nlohmann::json::array()))  // paths under tests/
    r.adapters.loras.push_back(LoraSpec{std::string(SDXL_SOURCE_DIR) + "/tests/" + j["path"].get<std::string>(),
                               j["multiplier"].get<double>()});
  return c;
}

// One pipeline for every case (the ControlNets stay loaded across requests, as in a batch).
Pipeline& control_pipeline() {
  static Pipeline pipeline(load_control_case("cn_euler_5_single").options);
  return pipeline;
}

class ControlGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(ControlGolden, MatchesReference) {
  const std::string name = GetParam();
  GoldenCase c = load_control_case(name);
  auto golden = load_golden("control_golden/" + name + ".safetensors");
  c.request.output.save_trajectory = true;
  GenerationResult result = control_pipeline().generate(c.request);
  expect_latents_match(result, golden);
  EXPECT_TRUE(AllClose("decoded image", result.decoded, golden.at("image"), 1e-3));
  expect_png_close("control_golden/" + name + ".png", result.images[0]);
}

INSTANTIATE_TEST_SUITE_P(Cases, ControlGolden,
                         ::testing::Values("cn_euler_5_single", "cn_ddim_5_single", "cn_euler_5_guess",
                                           "cn_euler_5_multi", "cn_euler_5_img2img", "cn_euler_5_inpaint",
                                           "t2i_euler_5", "t2i_original_euler_5", "clora_euler_5"),
                         [](const auto& info) { return info.param; });

// One control composed with the hires fix (the control image resized again for the second pass), the refiner
// (no control in its pass) and a LoRA on the base: the first pass's latents (hires, refiner), the final ones,
// the decoded image and the PNG against the reference's two-stage runs.
class ControlCompose : public ::testing::TestWithParam<std::string> {};

TEST_P(ControlCompose, MatchesReference) {
  const std::string name = GetParam();
  GoldenCase c = load_control_case(name);
  auto golden = load_golden("control_golden/" + name + ".safetensors");
  static Pipeline with_refiner(load_control_case("cn_compose_refiner").options);
  GenerationResult result = (c.options.refiner.empty() ? control_pipeline() : with_refiner).generate(c.request);
  if (golden.count("first_latents"))
    EXPECT_TRUE(AllClose("first-pass latents", result.base_latents, golden.at("first_latents"),
                         latent_tolerance(golden.at("first_latents"))));
  const at::Tensor& final_want = golden.at("final_latents");
  EXPECT_TRUE(AllClose("final_latents", result.latents, final_want, latent_tolerance(final_want)));
  EXPECT_TRUE(AllClose("decoded image", result.decoded, golden.at("image"), 1e-3));
  expect_png_close("control_golden/" + name + ".png", result.images[0]);
}

INSTANTIATE_TEST_SUITE_P(Cases, ControlCompose,
                         ::testing::Values("cn_compose_hires", "cn_compose_refiner", "cn_compose_lora"),
                         [](const auto& info) { return info.param; });

// bf16 (the CPU default where the CPU has AVX-512 BF16) tracks the fp32 reference within the tolerances
// PipelineLowPrecision states for the plain model (tests/pipeline/test_pipeline_low_precision.cpp).
TEST(ControlLowPrecision, Bf16TracksTheFp32Golden) {
  GoldenCase c = load_control_case("cn_euler_5_single");
  c.options.dtype = DType::Bf16;
  c.options.vae_dtype = DType::Bf16;
  auto golden = load_golden("control_golden/cn_euler_5_single.safetensors");
  GenerationResult result = Pipeline(c.options).generate(c.request);
  const at::Tensor diff = (result.decoded - golden.at("image")).abs();
  EXPECT_LE(diff.mean().item<double>(), 0.015) << "decoded image, mean abs difference";
  EXPECT_LE(diff.max().item<double>(), 0.12) << "decoded image, max abs difference";
  const at::Tensor want_png = golden.at("image").permute({0, 2, 3, 1}).add(1).mul(127.5).round().clamp(0, 255);
  EXPECT_LE((result.images.to(at::kFloat) - want_png).abs().mean().item<double>(), 2.0) << "mean 8-bit level difference";
}

TEST(ControlBehaviour, ZeroScaleIsThePlainModelBitForBit) {
  GoldenCase c = load_control_case("cn_euler_5_single");
  c.request.sampling.steps = 3;
  c.request.adapters.controls[0].scale = 0.0;
  GenerationResult controlled = control_pipeline().generate(c.request);
  GenerationRequest plain = c.request;
  plain.adapters.controls.clear();
  GenerationResult base = control_pipeline().generate(plain);
  EXPECT_TRUE(at::equal(controlled.latents, base.latents));
  c.request.adapters.controls[0].scale = 0.7;
  EXPECT_FALSE(at::equal(control_pipeline().generate(c.request).latents, base.latents)) << "the control had no effect";
}

TEST(ControlBehaviour, ResizedImageIsStatedAndHashesRecorded) {
  GoldenCase c = load_control_case("cn_euler_5_single");
  c.request.sampling.steps = 2;
  GenerationResult r = control_pipeline().generate(c.request);
  bool stated = false;
  for (const auto& w : r.warnings) stated |= w.find("control image") != std::string::npos && w.find("64x96") != std::string::npos;
  EXPECT_TRUE(stated);
  ASSERT_EQ(r.request.adapters.controls.size(), 1u);
  EXPECT_EQ(r.request.adapters.controls[0].image_sha256.size(), 64u);
  EXPECT_FALSE(r.request.adapters.controls[0].model_hash.empty());
}

// A ControlNet loads on first use and stays loaded (without --low-memory) for the next request and for every pass
// of a request: only the first request adds loading time.
TEST(ControlBehaviour, ModelLoadsOncePerPipeline) {
  GoldenCase c = load_control_case("cn_euler_5_single");
  c.request.sampling.steps = 1;
  Pipeline pipeline(c.options);  // the base's models load here, up front
  const double before = pipeline.load_s();
  pipeline.generate(c.request);
  const double loaded = pipeline.load_s();
  EXPECT_GT(loaded, before) << "the ControlNet did not load on first use";
  c.request.hires.scale = 1.5;  // a second pass, with the control image resized for it
  c.request.hires.steps = 2;  // one step at hires_strength 0.5
  pipeline.generate(c.request);
  EXPECT_EQ(pipeline.load_s(), loaded) << "a model was loaded again";
}

// The three layouts of the same weights load to the same tensors (the original layout through the UNet's SGM
// tables, the lone diffusers file through shape inference).
TEST(ControlLoader, LayoutsLoadTheSameWeights) {
  const nlohmann::json base = read_json(fixture("tiny-sdxl/unet/config.json"));
  auto load = [&](const std::string& rel) {
    const ControlModelFile f = inspect_control_model(fixture("control_golden/" + rel));
    EXPECT_EQ(f.kind, ControlKind::ControlNet) << rel;
    return load_controlnet(f, "", base, at::TensorOptions().dtype(at::kFloat));
  };
  ControlNetModel folder = load("tiny-controlnet"), sgm = load("tiny_controlnet_sgm.safetensors"),
                  lone = load("tiny-controlnet/diffusion_pytorch_model.safetensors");
  EXPECT_EQ(inspect_control_model(fixture("control_golden/tiny_controlnet_sgm.safetensors")).layout, "sgm");
  const auto want = folder->named_parameters();
  for (ControlNetModel* other : {&sgm, &lone}) {
    const auto got = (*other)->named_parameters();
    ASSERT_EQ(got.size(), want.size());
    for (const auto& p : want) EXPECT_TRUE(at::equal(*got.find(p.key()), p.value())) << p.key();
  }
  EXPECT_EQ(lone->config().conditioning_embedding_out_channels, folder->config().conditioning_embedding_out_channels);
  EXPECT_EQ(lone->config().unet.transformer_layers_per_block, folder->config().unet.transformer_layers_per_block);
}

// A control-LoRA whose factors do not fit the base model is an input error naming the tensor.
TEST(ControlLoader, ControlLoraFactorsMustFit) {
  const Checkpoint base = open_checkpoint(fixture("tiny-sdxl"));
  const auto& unet = base.components.at("unet");
  auto file = io::SafetensorsFile::open(fixture("control_golden/tiny_control_lora.safetensors"));
  std::map<std::string, at::Tensor> tensors;
  for (const auto& t : file->tensors()) tensors[t.name] = file->tensor(t.name).clone();
  const std::string bad = "input_blocks.1.0.in_layers.2.up";
  ASSERT_TRUE(tensors.count(bad));
  tensors[bad] = at::zeros({tensors[bad].size(0) + 1, tensors[bad].size(1), 1, 1}, at::kHalf);
  const std::string path = temp_path("misfit_control_lora.safetensors");
  io::save_safetensors(path, tensors);
  const ControlModelFile f = inspect_control_model(path);
  EXPECT_EQ(f.kind, ControlKind::ControlLora);
  const std::string e = error_of([&] { load_control_lora(f, unet.config, unet.tensors, {}); });
  EXPECT_NE(e.find("input_blocks.1.0.in_layers.2.up"), std::string::npos) << e;
  EXPECT_NE(e.find("do not fit"), std::string::npos) << e;
}

// A lone T2I-Adapter file, with diffusers names or in the original layout (with and without the "adapter."
// prefix), gets the folder's architecture from its shapes and the folder's tensors.
TEST(ControlLoader, AdapterFileInfersTheFoldersConfig) {
  const ControlModelFile folder = inspect_control_model(fixture("control_golden/tiny-t2i-adapter"));
  EXPECT_EQ(folder.kind, ControlKind::T2IAdapter);
  T2IAdapterModel a = load_t2i_adapter(folder, "", {});
  const auto want = a->named_parameters();
  // The original layout without its prefix, as the SD 1.x-era files name it.
  auto original = io::SafetensorsFile::open(fixture("control_golden/tiny_t2i_adapter_original.safetensors"));
  std::map<std::string, at::Tensor> bare;
  for (const auto& t : original->tensors()) bare[t.name.substr(std::string("adapter.").size())] = original->tensor(t.name);
  const std::string bare_path = temp_path("t2i_original_bare.safetensors");
  io::save_safetensors(bare_path, bare);
  for (const std::string& path : {fixture("control_golden/tiny-t2i-adapter/diffusion_pytorch_model.safetensors"),
                                  fixture("control_golden/tiny_t2i_adapter_original.safetensors"), bare_path}) {
    const ControlModelFile lone = inspect_control_model(path);
    EXPECT_EQ(lone.kind, ControlKind::T2IAdapter) << path;
    T2IAdapterModel b = load_t2i_adapter(lone, "", {});
    const auto got = b->named_parameters();
    ASSERT_EQ(got.size(), want.size()) << path;
    for (const auto& p : want) EXPECT_TRUE(at::equal(*got.find(p.key()), p.value())) << path << ": " << p.key();
    EXPECT_EQ(b->adapter->downscale_factor, a->adapter->downscale_factor) << path;
  }
  // A tensor of a variant that diffusers' full_adapter_xl has no place for (sk=False's skip convolution).
  bare["body.0.skep.weight"] = at::zeros({4, 4, 1, 1}, at::kHalf);
  io::save_safetensors(bare_path, bare);
  const std::string e = error_of([&] { load_t2i_adapter(inspect_control_model(bare_path), "", {}); });
  EXPECT_NE(e.find("body.0.skep.weight"), std::string::npos) << e;
}

// A file with the ControlNet's names but no SDXL text_time embedding (an SD 1.5 ControlNet's shape), and files
// of the other kinds, are refused naming the kind, from their tensor names whatever the file is called.
TEST(ControlLoader, OtherKindsAreNamed) {
  const nlohmann::json base = read_json(fixture("tiny-sdxl/unet/config.json"));
  auto refused = [&](const std::map<std::string, at::Tensor>& tensors, const std::string& name) {
    const std::string path = temp_path(name);
    io::save_safetensors(path, tensors);
    return error_of([&] { load_controlnet(inspect_control_model(path), "", base, {}); });
  };
  const at::Tensor w = at::zeros({4, 4});
  EXPECT_NE(refused({{"controlnet_cond_embedding.conv_in.weight", w}, {"time_embedding.linear_1.weight", w}},
                    "controlnet-sdxl.safetensors").find("SD 1.x/2.x ControlNet"), std::string::npos);
  EXPECT_NE(refused({{"control_model.input_hint_block.0.weight", w}}, "control_sd15_canny.safetensors")
                .find("SD 1.x/2.x ControlNet"), std::string::npos);
  EXPECT_NE(refused({{"lora_controlnet", w}}, "controlnet.safetensors").find("control-LoRA"), std::string::npos);
  EXPECT_NE(refused({{"task_embedding", w}, {"controlnet_cond_embedding.conv_in.weight", w}}, "cn.safetensors")
                .find("union ControlNet"), std::string::npos);
  EXPECT_NE(refused({{"lllite_unet_input_blocks_4_1_transformer_blocks_0_attn1_to_q.down.weight", w}}, "cn.safetensors")
                .find("LLLite"), std::string::npos);
  EXPECT_NE(refused({{"unet.conv_in.weight", w}}, "controlnet2.safetensors").find("not a control model"),
            std::string::npos);
}

}  // namespace
}  // namespace sdxl::test
