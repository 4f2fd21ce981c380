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

struct ControlCase {
  GenerationRequest request;
  PipelineOptions options;
};

ControlCase load_control_case(const std::string& name) {
  const nlohmann::json in = read_json(fixture("control_golden/" + name + ".json"))["inputs"];
  ControlCase c;
  GenerationRequest& r = c.request;
  r.text.prompt = in["prompt"];
  r.text.negative_prompt = in["negative_prompt"].get<std::string>();
  r.sampling.size = Size{in["height"].get<int>(), in["width"].get<int>()};
  r.sampling.steps = in["steps"];
  r.sampling.cfg = in["guidance_scale"];
  r.sampling.sampler = parse_sampler(in["sampler"].get<std::string>());
  r.sampling.seed = in["seed"].get<uint64_t>();
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
  c.options.model = fixture("tiny-sdxl");
  c.options.device = parse_device(test_device());
  c.options.dtype = DType::Fp32;
  c.options.vae_dtype = DType::Fp32;
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
  ControlCase c = load_control_case(name);
  auto golden = load_golden("control_golden/" + name + ".safetensors");
  c.request.output.save_trajectory = true;
  GenerationResult result = control_pipeline().generate(c.request);
  const at::Tensor& steps = golden.at("step_latents");
  ASSERT_EQ(static_cast<int64_t>(result.trajectory.size()), steps.size(0)) << "number of sampling steps";
  for (int64_t s = 0; s < steps.size(0); ++s)
    EXPECT_TRUE(AllClose("step " + std::to_string(s) + " latents", result.trajectory[s], steps[s],
                         latent_tolerance(steps[s])));
  const at::Tensor& final_want = golden.at("final_latents");
  EXPECT_TRUE(AllClose("final_latents", result.latents, final_want, latent_tolerance(final_want)));
  EXPECT_TRUE(AllClose("decoded image", result.decoded, golden.at("image"), 1e-3));
  expect_png_close("control_golden/" + name + ".png", result.images[0]);
}

INSTANTIATE_TEST_SUITE_P(Cases, ControlGolden,
                         ::testing::Values("cn_euler_5_single", "cn_ddim_5_single", "cn_euler_5_guess",
                                           "cn_euler_5_multi", "cn_euler_5_img2img", "cn_euler_5_inpaint",
                                           "t2i_euler_5", "clora_euler_5"),
                         [](const auto& info) { return info.param; });

TEST(ControlBehaviour, ZeroScaleIsThePlainModelBitForBit) {
  ControlCase c = load_control_case("cn_euler_5_single");
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
  ControlCase c = load_control_case("cn_euler_5_single");
  c.request.sampling.steps = 2;
  GenerationResult r = control_pipeline().generate(c.request);
  bool stated = false;
  for (const auto& w : r.warnings) stated |= w.find("control image") != std::string::npos && w.find("64x96") != std::string::npos;
  EXPECT_TRUE(stated);
  ASSERT_EQ(r.request.adapters.controls.size(), 1u);
  EXPECT_EQ(r.request.adapters.controls[0].image_sha256.size(), 64u);
  EXPECT_FALSE(r.request.adapters.controls[0].model_hash.empty());
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

// A lone T2I-Adapter file (diffusers names) gets the folder's architecture from its shapes.
TEST(ControlLoader, AdapterFileInfersTheFoldersConfig) {
  const ControlModelFile folder = inspect_control_model(fixture("control_golden/tiny-t2i-adapter"));
  const ControlModelFile lone =
      inspect_control_model(fixture("control_golden/tiny-t2i-adapter/diffusion_pytorch_model.safetensors"));
  EXPECT_EQ(folder.kind, ControlKind::T2IAdapter);
  EXPECT_EQ(lone.kind, ControlKind::T2IAdapter);
  T2IAdapterModel a = load_t2i_adapter(folder, "", {}), b = load_t2i_adapter(lone, "", {});
  const auto want = a->named_parameters(), got = b->named_parameters();
  ASSERT_EQ(got.size(), want.size());
  for (const auto& p : want) EXPECT_TRUE(at::equal(*got.find(p.key()), p.value())) << p.key();
  EXPECT_EQ(b->adapter->downscale_factor, a->adapter->downscale_factor);
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
