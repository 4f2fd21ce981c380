// Architecture detection on the tiny single files: every field that tensor shapes determine agrees with the
// fixture's config.json; the head count (head width 16, not SDXL's 64) is reported as unresolved.
#include "io/safetensors.h"
#include "test_util.h"
#include "weights/infer_config.h"

#include <fstream>

namespace sdxl {
namespace {

ShapeMap shapes_under(const std::string& file, const std::string& prefix) {
  ShapeMap out;
  const auto st = io::SafetensorsFile::open(test::fixture(file));
  for (const auto& t : st->tensors())
    if (t.name.compare(0, prefix.size(), prefix) == 0) out[t.name.substr(prefix.size())] = t.shape;
  return out;
}

nlohmann::json fixture_config(const std::string& rel) {
  std::ifstream in(test::fixture(rel));
  return nlohmann::json::parse(in);
}

void expect_fields(const InferredConfig& got, const nlohmann::json& want, const std::vector<std::string>& keys,
                   const std::string& what) {
  for (const auto& k : keys) EXPECT_EQ(got.config.value(k, nlohmann::json()), want.at(k)) << what << " " << k;
}

const std::vector<std::string> kUnetFields = {
    "in_channels", "out_channels", "block_out_channels", "layers_per_block", "down_block_types", "up_block_types",
    "transformer_layers_per_block", "cross_attention_dim", "projection_class_embeddings_input_dim",
    "addition_time_embed_dim", "addition_embed_type", "use_linear_projection", "mid_block_type", "conv_in_kernel",
    "conv_out_kernel", "time_embedding_dim"};
const std::vector<std::string> kVaeFields = {"in_channels", "out_channels", "latent_channels", "block_out_channels",
                                             "layers_per_block", "down_block_types", "up_block_types",
                                             "norm_num_groups", "scaling_factor"};
const std::vector<std::string> kClipFields = {"hidden_size", "intermediate_size", "num_hidden_layers", "vocab_size",
                                              "max_position_embeddings", "hidden_act"};

bool mentions(const std::vector<std::string>& list, const std::string& word) {
  for (const auto& s : list)
    if (s.find(word) != std::string::npos) return true;
  return false;
}

TEST(InferConfig, TinyBaseAgreesWithFixtureConfigs) {
  const std::string file = "tiny_sdxl_base.safetensors";
  const InferredConfig te1 = infer_clip_config(shapes_under(file, "conditioner.embedders.0.transformer."), "text_encoder");
  expect_fields(te1, fixture_config("tiny-sdxl/text_encoder/config.json"), kClipFields, "text_encoder");
  const InferredConfig te2 = infer_open_clip_config(shapes_under(file, "conditioner.embedders.1.model."));
  auto te2_fields = kClipFields;
  te2_fields.push_back("projection_dim");
  expect_fields(te2, fixture_config("tiny-sdxl/text_encoder_2/config.json"), te2_fields, "text_encoder_2");
  EXPECT_TRUE(mentions(te2.unresolved, "num_attention_heads"));

  const InferredConfig vae = infer_vae_config(shapes_under(file, "first_stage_model."));
  EXPECT_TRUE(vae.unresolved.empty());
  expect_fields(vae, fixture_config("tiny-sdxl/vae/config.json"), kVaeFields, "vae");

  const InferredConfig unet = infer_unet_config(shapes_under(file, "model.diffusion_model."), 32, 6);
  expect_fields(unet, fixture_config("tiny-sdxl/unet/config.json"), kUnetFields, "unet");
  ASSERT_EQ(unet.unresolved.size(), 1u);
  EXPECT_TRUE(mentions(unet.unresolved, "attention_head_dim"));
}

TEST(InferConfig, TinyRefinerAgreesWithFixtureConfigs) {
  const std::string file = "tiny_sdxl_refiner.safetensors";
  const InferredConfig te2 = infer_open_clip_config(shapes_under(file, "conditioner.embedders.0.model."));
  expect_fields(te2, fixture_config("tiny-sdxl-refiner/text_encoder_2/config.json"), kClipFields, "text_encoder_2");
  const InferredConfig vae = infer_vae_config(shapes_under(file, "first_stage_model."));
  expect_fields(vae, fixture_config("tiny-sdxl-refiner/vae/config.json"), kVaeFields, "vae");
  const InferredConfig unet = infer_unet_config(shapes_under(file, "model.diffusion_model."), 32, 5);
  expect_fields(unet, fixture_config("tiny-sdxl-refiner/unet/config.json"), kUnetFields, "unet");
  // Without the pooled width, the tiny sizes do not fit SDXL's time-id width: reported, not guessed silently.
  EXPECT_TRUE(mentions(infer_unet_config(shapes_under(file, "model.diffusion_model."), 0, 0).unresolved,
                       "addition_time_embed_dim"));
}

}  // namespace
}  // namespace sdxl
