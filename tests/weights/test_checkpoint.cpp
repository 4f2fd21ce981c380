// open_checkpoint on the tiny fixtures: both layouts give bit-identical canonical tensors, configs,
// kinds and the pipeline settings; bad paths and pickle checkpoints are refused with clear errors.
#include "common/error.h"
#include "test_util.h"
#include "weights/checkpoint.h"

#include <filesystem>
#include <fstream>

namespace sdxl {
namespace {

// `got` holds exactly the tensors of `want`, bit for bit, with the same dtype.
void expect_same_tensors(const StateDict& got, const StateDict& want, const std::string& what) {
  EXPECT_EQ(got.size(), want.size()) << what;
  for (const auto& [name, t] : want) {
    auto it = got.find(name);
    if (it == got.end()) {
      ADD_FAILURE() << what << ": lacks " << name;
      continue;
    }
    EXPECT_EQ(it->second.scalar_type(), t.scalar_type()) << what << " " << name;
    EXPECT_TRUE(it->second.sizes() == t.sizes() && at::equal(it->second, t)) << what << " " << name << " differs";
  }
}

void expect_identical(const Checkpoint& single, const Checkpoint& folder, const std::vector<std::string>& components) {
  ASSERT_EQ(single.components.size(), components.size());
  ASSERT_EQ(folder.components.size(), components.size());
  for (const auto& c : components) expect_same_tensors(single.components.at(c).tensors, folder.components.at(c).tensors, c);
}

TEST(Checkpoint, TinyBaseSingleFileEqualsDiffusersFolder) {
  const Checkpoint single = open_checkpoint(test::fixture("tiny_sdxl_base.safetensors"), test::fixture("tiny-sdxl"));
  const Checkpoint folder = open_checkpoint(test::fixture("tiny-sdxl"));
  EXPECT_EQ(single.layout, "single-file");
  EXPECT_EQ(folder.layout, "diffusers");
  EXPECT_EQ(single.kind, ModelKind::Base);
  EXPECT_EQ(folder.kind, ModelKind::Base);
  expect_identical(single, folder, {"unet", "vae", "text_encoder", "text_encoder_2"});
  EXPECT_EQ(folder.components.at("unet").tensors.size(), 620u);
  EXPECT_EQ(folder.components.at("vae").tensors.size(), 244u);
  for (const auto& c : {"unet", "vae", "text_encoder", "text_encoder_2"})
    EXPECT_EQ(single.components.at(c).config, folder.components.at(c).config) << c;
  EXPECT_TRUE(single.force_zeros_for_empty_prompt);
  EXPECT_TRUE(folder.force_zeros_for_empty_prompt);
  EXPECT_EQ(folder.tokenizer_dir, test::fixture("tiny-sdxl") + "/tokenizer");
  EXPECT_EQ(folder.tokenizer_2_dir, test::fixture("tiny-sdxl") + "/tokenizer_2");
  EXPECT_EQ(single.tokenizer_2_dir, folder.tokenizer_2_dir);
  EXPECT_EQ(folder.scheduler_config.at("_class_name"), "EulerDiscreteScheduler");
  EXPECT_EQ(single.scheduler_config, folder.scheduler_config);
}

TEST(Checkpoint, TinyRefinerSingleFileEqualsDiffusersFolder) {
  const Checkpoint single =
      open_checkpoint(test::fixture("tiny_sdxl_refiner.safetensors"), test::fixture("tiny-sdxl-refiner"));
  const Checkpoint folder = open_checkpoint(test::fixture("tiny-sdxl-refiner"));
  EXPECT_EQ(single.kind, ModelKind::Refiner);
  EXPECT_EQ(folder.kind, ModelKind::Refiner);
  expect_identical(single, folder, {"unet", "vae", "text_encoder_2"});
  EXPECT_EQ(folder.components.at("unet").tensors.size(), 780u);
  EXPECT_FALSE(single.force_zeros_for_empty_prompt);
  EXPECT_FALSE(folder.force_zeros_for_empty_prompt);
  EXPECT_EQ(folder.tokenizer_dir, "");
  EXPECT_NE(folder.tokenizer_2_dir, "");
  // The refiner folder's text_encoder_2 is a git link to the base's (resolved by the build's fixture copy).
  const Checkpoint base = open_checkpoint(test::fixture("tiny-sdxl"));
  expect_same_tensors(folder.components.at("text_encoder_2").tensors, base.components.at("text_encoder_2").tensors,
                      "refiner text_encoder_2 vs base");
}

// Converted tensors are views of the mapped file, not copies: q, k and v share in_proj's storage.
TEST(Checkpoint, SingleFileTensorsAreViews) {
  const Checkpoint single = open_checkpoint(test::fixture("tiny_sdxl_base.safetensors"), test::fixture("tiny-sdxl"));
  const auto& te2 = single.components.at("text_encoder_2").tensors;
  const auto& q = te2.at("text_model.encoder.layers.0.self_attn.q_proj.weight");
  const auto& v = te2.at("text_model.encoder.layers.0.self_attn.v_proj.weight");
  EXPECT_EQ(q.storage().data(), v.storage().data());
  EXPECT_EQ(static_cast<const char*>(v.data_ptr()) - static_cast<const char*>(q.data_ptr()), 2 * 48 * 48 * 2);
  const auto& proj = te2.at("text_projection.weight");
  EXPECT_EQ(proj.sizes(), (c10::IntArrayRef{32, 48}));
  EXPECT_FALSE(proj.is_contiguous());  // transposed view of OpenCLIP's [48, 32]
  EXPECT_EQ(single.components.at("vae").tensors.at("encoder.mid_block.attentions.0.to_q.weight").sizes(),
            (c10::IntArrayRef{64, 64}));
}

TEST(Checkpoint, ComponentFolderAndFile) {
  const Checkpoint vae = open_checkpoint(test::fixture("tiny-sdxl/vae"));
  EXPECT_EQ(vae.layout, "component");
  ASSERT_EQ(vae.components.size(), 1u);
  EXPECT_EQ(vae.components.at("vae").tensors.size(), 244u);
  EXPECT_EQ(vae.components.at("vae").config_source, test::fixture("tiny-sdxl/vae") + "/config.json");

  // A diffusers weights file finds its config.json beside it.
  const Checkpoint unet = open_checkpoint(test::fixture("tiny-sdxl-refiner/unet/diffusion_pytorch_model.safetensors"));
  EXPECT_EQ(unet.layout, "component");
  EXPECT_EQ(unet.components.at("unet").tensors.size(), 780u);
  const Checkpoint te2 = open_checkpoint(test::fixture("tiny-sdxl/text_encoder_2"));
  EXPECT_EQ(te2.components.count("text_encoder_2"), 1u);
}

using test::error_of;

TEST(Checkpoint, TinySingleFileNeedsConfigFolder) {
  // Head width 16 cannot be inferred (SDXL's is 64): the error says so and asks for a config folder.
  const std::string msg = error_of([] { open_checkpoint(test::fixture("tiny_sdxl_base.safetensors")); });
  EXPECT_NE(msg.find("attention_head_dim"), std::string::npos) << msg;
  EXPECT_NE(msg.find("config"), std::string::npos) << msg;
}

TEST(Checkpoint, ClearErrorsForBadPaths) {
  namespace fs = std::filesystem;
  const std::string dir = ::testing::TempDir() + "/sdxl_weights_paths";
  fs::create_directories(dir + "/empty");
  EXPECT_NE(error_of([&] { open_checkpoint(dir + "/nope.safetensors"); }).find(dir + "/nope.safetensors: no such"),
            std::string::npos);
  const std::string empty_msg = error_of([&] { open_checkpoint(dir + "/empty"); });
  EXPECT_NE(empty_msg.find(dir + "/empty: folder has neither model_index.json"), std::string::npos) << empty_msg;
  const std::string cfg_msg = error_of([&] { open_checkpoint(test::fixture("tiny-sdxl"), dir + "/nope"); });
  EXPECT_NE(cfg_msg.find(dir + "/nope: config folder"), std::string::npos) << cfg_msg;
  const std::string file_cfg = error_of([&] {
    open_checkpoint(test::fixture("tiny_sdxl_base.safetensors"), test::fixture("tiny_sdxl_base.safetensors"));
  });
  EXPECT_NE(file_cfg.find("not a folder"), std::string::npos) << file_cfg;
  const std::string json_msg = error_of([] { open_checkpoint(test::fixture("tiny-sdxl/unet/config.json")); });
  EXPECT_NE(json_msg.find("expected a .safetensors file, a diffusers folder"), std::string::npos) << json_msg;
  const std::string no_weights = error_of([] { open_checkpoint(test::fixture("tiny-sdxl/scheduler")); });
  EXPECT_NE(no_weights.find("tiny-sdxl/scheduler: folder has neither"), std::string::npos) << no_weights;
}

TEST(Checkpoint, RefusesPickleCheckpoints) {
  const std::string dir = ::testing::TempDir();
  {
    std::ofstream out(dir + "/model.ckpt", std::ios::binary);
    out << "\x80\x02}q\x00.";  // a pickle: PROTO 2, EMPTY_DICT, ...
  }
  {
    std::ofstream out(dir + "/model.safetensors", std::ios::binary);
    out << "PK\x03\x04 torch.save zip container";
  }
  {
    std::ofstream out(dir + "/pytorch_model.bin", std::ios::binary);
    out << "\x80\x04\x95 pickle protocol 4";
  }
  for (const std::string name : {"model.ckpt", "model.safetensors", "pytorch_model.bin"}) {
    const std::string msg = error_of([&] { open_checkpoint(dir + "/" + name); });
    EXPECT_NE(msg.find(dir + "/" + name + ": is a PyTorch pickle checkpoint"), std::string::npos) << msg;
    EXPECT_NE(msg.find("execute arbitrary code"), std::string::npos) << msg;
    EXPECT_NE(msg.find("save_file"), std::string::npos) << msg;
  }
}

}  // namespace
}  // namespace sdxl
