// UNetConfig parsing (diffusers config.json semantics) and "the config builds exactly the checkpoint's
// parameters": tiny fixtures (real files) and full-size SDXL base/refiner (key lists, meta device).
#include <gtest/gtest.h>

#include "common/error.h"
#include "io/atomic_file.h"
#include "unet_fixtures.h"

namespace sdxl {
namespace {

using nlohmann::json;

using test::read_json;

json tiny_config_json() { return read_json(test::unet_dir("tiny-sdxl") + "/config.json"); }

using test::error_of;

TEST(UNetConfig, ReadsTinyBase) {
  UNetConfig c = test::unet_config_file(test::unet_dir("tiny-sdxl") + "/config.json");
  EXPECT_EQ(c.block_out_channels, (std::vector<int64_t>{32, 64, 128}));
  EXPECT_EQ(c.num_attention_heads, (std::vector<int64_t>{2, 4, 8}));  // attention_head_dim = heads (diffusers quirk)
  EXPECT_EQ(c.transformer_layers_per_block, (std::vector<int64_t>{1, 1, 2}));
  EXPECT_EQ(c.layers_per_block, (std::vector<int64_t>{2, 2, 2}));
  EXPECT_EQ(c.cross_attention_dim, 80);
  EXPECT_EQ(c.time_embed_dim, 128);
  EXPECT_EQ(c.addition_time_embed_dim, 16);
  EXPECT_EQ(c.projection_class_embeddings_input_dim, 128);
  EXPECT_EQ(c.num_time_ids(32), 6);
  EXPECT_TRUE(c.use_linear_projection);
  EXPECT_TRUE(c.flip_sin_to_cos);
  EXPECT_FALSE(c.down_block_has_attention(0));
  EXPECT_TRUE(c.down_block_has_attention(2));
  EXPECT_TRUE(c.up_block_has_attention(0));
  EXPECT_FALSE(c.up_block_has_attention(2));
}

TEST(UNetConfig, ReadsTinyRefinerIntTransformerDepth) {
  UNetConfig c = test::unet_config_file(test::unet_dir("tiny-sdxl-refiner") + "/config.json");
  EXPECT_EQ(c.block_out_channels, (std::vector<int64_t>{32, 64, 96, 96}));
  EXPECT_EQ(c.transformer_layers_per_block, (std::vector<int64_t>{2, 2, 2, 2}));  // int -> every level
  EXPECT_EQ(c.num_attention_heads, (std::vector<int64_t>{2, 4, 6, 6}));
  EXPECT_EQ(c.num_time_ids(32), 5);
}

TEST(UNetConfig, UnsupportedSettingsNameTheField) {
  struct Case {
    const char* field;
    json value;
  };
  const std::vector<Case> cases = {
      {"addition_embed_type", "text"},         {"addition_embed_type", nullptr},
      {"num_attention_heads", 8},              {"act_fn", "gelu"},
      {"resnet_time_scale_shift", "scale_shift"}, {"class_embed_type", "timestep"},
      {"time_embedding_type", "fourier"},      {"down_block_types", json::array({"DownBlock2D", "AttnDownBlock2D", "CrossAttnDownBlock2D"})},
      {"up_block_types", json::array({"UpBlock2D"})}, {"attention_head_dim", json::array({2, 4})},
      {"attention_head_dim", json::array({3, 4, 8})},  // 3 heads do not divide 32 channels
      {"transformer_layers_per_block", json::array({json::array({1}), 1, 2})},
      {"block_out_channels", json::array({32, 64, 0})}, {"norm_num_groups", 24},
      {"cross_attention_dim", json::array({80, 80, 80})}, {"only_cross_attention", true},
      {"mid_block_type", nullptr},              {"layers_per_block", "2"},
      {"use_linear_projection", 1},             {"encoder_hid_dim_type", "text_proj"},
  };
  for (const auto& c : cases) {
    json j = tiny_config_json();
    j[c.field] = c.value;
    std::string msg = error_of([&] { UNetConfig::from_json(j, "cfg.json"); });
    EXPECT_NE(msg.find(std::string("'") + c.field + "'"), std::string::npos) << c.field << "=" << c.value.dump() << ": " << msg;
    EXPECT_NE(msg.find("cfg.json"), std::string::npos) << msg;
  }
  json j = tiny_config_json();
  j.erase("block_out_channels");
  EXPECT_NE(error_of([&] { UNetConfig::from_json(j); }).find("'block_out_channels' is required"), std::string::npos);
}

TEST(UNetConfig, DiffusersDefaultsForAbsentFields) {
  json j = tiny_config_json();
  for (const char* k : {"norm_num_groups", "norm_eps", "flip_sin_to_cos", "freq_shift", "layers_per_block",
                        "transformer_layers_per_block", "downsample_padding", "time_embedding_dim"})
    j.erase(k);
  UNetConfig c = UNetConfig::from_json(j);
  EXPECT_EQ(c.norm_num_groups, 32);
  EXPECT_DOUBLE_EQ(c.norm_eps, 1e-5);
  EXPECT_TRUE(c.flip_sin_to_cos);
  EXPECT_EQ(c.freq_shift, 0.0);
  EXPECT_EQ(c.layers_per_block, (std::vector<int64_t>{2, 2, 2}));
  EXPECT_EQ(c.transformer_layers_per_block, (std::vector<int64_t>{1, 1, 1}));
  EXPECT_EQ(c.downsample_padding, 1);
  EXPECT_EQ(c.time_embed_dim, 4 * 32);
}

std::map<std::string, std::vector<int64_t>> file_shapes(const std::string& path) {
  std::map<std::string, std::vector<int64_t>> out;
  const auto file = io::SafetensorsFile::open(path);
  for (const auto& t : file->tensors()) out[t.name] = t.shape;
  return out;
}

TEST(UNetModel, TinyModelsHaveExactlyTheCheckpointKeysAndShapes) {
  for (const std::string model : {"tiny-sdxl", "tiny-sdxl-refiner"}) {
    UNet2DConditionModel unet(test::unet_config_file(test::unet_dir(model) + "/config.json"), at::device(at::kMeta));
    auto expected = file_shapes(test::unet_dir(model) + "/diffusion_pytorch_model.safetensors");
    LoadReport r = check_state_dict(module_shapes(*unet), expected);
    EXPECT_TRUE(r.ok()) << model << ":" << r.describe(50);
    EXPECT_EQ(module_shapes(*unet).size(), model == "tiny-sdxl" ? 620u : 780u) << model;
  }
}

// Full-size SDXL 1.0: presets vs the published configs, and the shapes the presets build (on the meta
// device: no memory) vs the published diffusers key lists and parameter counts.
TEST(UNetModel, SdxlPresetsBuildThePublishedCheckpointLayouts) {
  const json counts = read_json(test::fixture("sdxl_keys/param_counts.json"));
  struct Case {
    const char* list;
    const char* count_key;
    UNetConfig preset;
  };
  for (const auto& c : {Case{"diffusers_base.json", "base", test::sdxl_unet_config("sdxl-base")},
                        Case{"diffusers_refiner.json", "refiner", test::sdxl_unet_config("sdxl-refiner")}}) {
    const json unet = read_json(test::fixture(std::string("sdxl_keys/") + c.list))["components"]["unet"];
    const UNetConfig published = UNetConfig::from_json(unet["config"], c.list);
    EXPECT_EQ(c.preset.block_out_channels, published.block_out_channels) << c.list;
    EXPECT_EQ(c.preset.num_attention_heads, published.num_attention_heads) << c.list;
    EXPECT_EQ(c.preset.transformer_layers_per_block, published.transformer_layers_per_block) << c.list;
    EXPECT_EQ(c.preset.down_block_types, published.down_block_types) << c.list;
    EXPECT_EQ(c.preset.up_block_types, published.up_block_types) << c.list;
    EXPECT_EQ(c.preset.cross_attention_dim, published.cross_attention_dim) << c.list;
    EXPECT_EQ(c.preset.projection_class_embeddings_input_dim, published.projection_class_embeddings_input_dim);

    UNet2DConditionModel model(c.preset, at::device(at::kMeta));
    std::map<std::string, std::vector<int64_t>> expected;
    for (const auto& [name, info] : unet["tensors"].items()) expected[name] = info["shape"].get<std::vector<int64_t>>();
    LoadReport r = check_state_dict(module_shapes(*model), expected);
    EXPECT_TRUE(r.ok()) << c.list << ":" << r.describe(50);
    int64_t params = 0;
    for (const auto& p : model->parameters()) params += p.numel();
    EXPECT_EQ(params, counts[c.count_key]["unet"].get<int64_t>()) << c.list;
  }
}

}  // namespace
}  // namespace sdxl
