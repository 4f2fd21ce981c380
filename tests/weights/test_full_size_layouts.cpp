// Full-size SDXL 1.0: the presets, expected_tensors and the canonical -> original name mapping reproduce the
// published checkpoints' tensor lists (tests/fixtures/sdxl_keys) name for name and shape for shape, and
// shape inference on those lists gives back the published configs.
#include "common/error.h"
#include "test_util.h"
#include "weights/architecture.h"
#include "weights/checkpoint_layouts.h"
#include "weights/infer_config.h"
#include "weights/presets.h"

#include <fstream>

namespace sdxl {
namespace {

nlohmann::json load_keys(const std::string& name) {
  std::ifstream in(test::fixture("sdxl_keys/" + name));
  return nlohmann::json::parse(in);
}

ShapeMap shapes_of(const nlohmann::json& tensors) {
  ShapeMap out;
  for (auto it = tensors.begin(); it != tensors.end(); ++it)
    out[it.key()] = it.value().at("shape").get<std::vector<int64_t>>();
  return out;
}

// Every name missing from / extra in `got` and every shape difference, one per line (empty = equal).
std::string diff(const ShapeMap& got, const ShapeMap& want) {
  std::string out;
  for (const auto& [name, shape] : want) {
    auto it = got.find(name);
    if (it == got.end())
      out += "missing " + name + "\n";
    else if (it->second != shape)
      out += "shape of " + name + ": got " + c10::str(c10::IntArrayRef(it->second)) + " want " + c10::str(c10::IntArrayRef(shape)) + "\n";
  }
  for (const auto& [name, shape] : got)
    if (!want.count(name)) out += "extra " + name + "\n";
  return out;
}

std::map<std::string, nlohmann::json> preset_configs(const std::string& preset) {
  std::map<std::string, nlohmann::json> out;
  for (const auto& c : preset_components(preset)) out[c] = preset_config(preset, c);
  return out;
}

// The lists' "uncertain" entries that are included in `tensors`: tensors a file may carry and we ignore.
void add_uncertain(const nlohmann::json& list, ShapeMap& shapes) {
  for (const auto& u : list.at("uncertain")) {
    const std::string key = u.at("key");
    EXPECT_TRUE(key.find("position_ids") != std::string::npos || key.find("logit_scale") != std::string::npos) << key;
    shapes[key] = u.at("shape").get<std::vector<int64_t>>();
  }
}

ShapeMap strip(const ShapeMap& shapes, const std::string& prefix) {
  ShapeMap out;
  for (const auto& [name, shape] : shapes)
    if (name.compare(0, prefix.size(), prefix) == 0) out[name.substr(prefix.size())] = shape;
  return out;
}

TEST(FullSize, PresetParameterCountsMatchPublishedModels) {
  const auto counts = load_keys("param_counts.json");
  const auto base = preset_param_counts("sdxl-base");
  EXPECT_EQ(base.at("unet"), counts["base"]["unet"].get<int64_t>());
  EXPECT_EQ(base.at("unet"), 2567463684);
  EXPECT_EQ(base.at("vae"), counts["base"]["vae"].get<int64_t>());
  EXPECT_EQ(base.at("text_encoder"), counts["base"]["clip_l"].get<int64_t>());
  EXPECT_EQ(base.at("text_encoder_2"), counts["base"]["bigg_incl_projection"].get<int64_t>());
  const auto refiner = preset_param_counts("sdxl-refiner");
  EXPECT_EQ(refiner.at("unet"), counts["refiner"]["unet"].get<int64_t>());
  EXPECT_EQ(refiner.at("unet"), 2259526660);
  EXPECT_EQ(refiner.at("vae"), counts["refiner"]["vae"].get<int64_t>());
  EXPECT_EQ(refiner.at("text_encoder_2"), counts["refiner"]["bigg_incl_projection"].get<int64_t>());
  EXPECT_EQ(refiner.count("text_encoder"), 0u);
}

TEST(FullSize, ExpectedTensorsMatchDiffusersLists) {
  for (const auto& [list, preset] : {std::pair{"diffusers_base.json", "sdxl-base"}, {"diffusers_refiner.json", "sdxl-refiner"}}) {
    const auto keys = load_keys(list);
    const auto components = preset_components(preset);
    EXPECT_EQ(keys.at("components").size(), components.size()) << list;
    for (const auto& c : components) {
      const auto want = shapes_of(keys["components"][c]["tensors"]);
      EXPECT_EQ(diff(expected_tensors(c, preset_config(preset, c)), want), "") << list << " " << c;
    }
  }
}

TEST(FullSize, SingleFileNamesMatchPublishedCheckpoints) {
  struct Case {
    const char* list;
    ModelKind kind;
    const char* preset;
    size_t tensors;
  };
  for (const Case& c : {Case{"sd_xl_base_1.0.json", ModelKind::Base, "sdxl-base", 2515},
                        Case{"sd_xl_refiner_1.0.json", ModelKind::Refiner, "sdxl-refiner", 1858}}) {
    const auto keys = load_keys(c.list);
    ShapeMap got = single_file_tensors(c.kind, preset_configs(c.preset));
    add_uncertain(keys, got);
    EXPECT_EQ(got.size(), c.tensors) << c.list;
    EXPECT_EQ(diff(got, shapes_of(keys.at("tensors"))), "") << c.list;
  }
}

// The two VAE shortcut convs only the full-size VAE has (widths change at these resnets) and the UNet
// upsampler slots that depend on whether the up block has attention.
TEST(FullSize, BlockStructureDependentNames) {
  const ShapeMap base = single_file_tensors(ModelKind::Base, preset_configs("sdxl-base"));
  EXPECT_EQ(base.at("first_stage_model.encoder.down.1.block.0.nin_shortcut.weight"), (std::vector<int64_t>{256, 128, 1, 1}));
  EXPECT_EQ(base.at("first_stage_model.decoder.up.0.block.0.nin_shortcut.weight"), (std::vector<int64_t>{128, 256, 1, 1}));
  EXPECT_EQ(base.at("model.diffusion_model.output_blocks.2.2.conv.weight"), (std::vector<int64_t>{1280, 1280, 3, 3}));
  EXPECT_EQ(base.at("model.diffusion_model.output_blocks.5.2.conv.weight"), (std::vector<int64_t>{640, 640, 3, 3}));
  const ShapeMap refiner = single_file_tensors(ModelKind::Refiner, preset_configs("sdxl-refiner"));
  EXPECT_EQ(refiner.at("model.diffusion_model.output_blocks.2.1.conv.weight"), (std::vector<int64_t>{1536, 1536, 3, 3}));
  EXPECT_EQ(refiner.at("model.diffusion_model.input_blocks.9.0.op.weight"), (std::vector<int64_t>{1536, 1536, 3, 3}));
}

// Inference from the published single-file lists gives the published diffusers configs.
void expect_subset(const nlohmann::json& got, const nlohmann::json& want, const std::string& what) {
  for (auto it = want.begin(); it != want.end(); ++it)
    EXPECT_EQ(got.value(it.key(), nlohmann::json()), it.value()) << what << " " << it.key();
}

// The fixture lists describe text encoders with open_clip-style names; translate to transformers' keys.
nlohmann::json clip_fields(const nlohmann::json& c) {
  nlohmann::json out = {{"vocab_size", c["vocab_size"]}, {"max_position_embeddings", c["context_length"]},
                        {"hidden_size", c["width"]},     {"num_hidden_layers", c["layers"]},
                        {"num_attention_heads", c["heads"]}, {"intermediate_size", c["mlp"]},
                        {"hidden_act", c["hidden_act"]}};
  if (c.contains("projection_dim")) out["projection_dim"] = c["projection_dim"];
  return out;
}

TEST(FullSize, InferredConfigsMatchPublishedConfigs) {
  for (const auto& [single, folder] :
       {std::pair{"sd_xl_base_1.0.json", "diffusers_base.json"}, {"sd_xl_refiner_1.0.json", "diffusers_refiner.json"}}) {
    const ShapeMap shapes = shapes_of(load_keys(single).at("tensors"));
    const auto want = load_keys(folder).at("components");
    const bool base = std::string(single) == "sd_xl_base_1.0.json";
    const std::string te2_prefix = base ? "conditioner.embedders.1.model." : "conditioner.embedders.0.model.";

    const InferredConfig te2 = infer_open_clip_config(strip(shapes, te2_prefix));
    EXPECT_TRUE(te2.unresolved.empty()) << single;
    expect_subset(te2.config, clip_fields(want["text_encoder_2"]["config"]), std::string(single) + " text_encoder_2");
    if (base) {
      const InferredConfig te1 = infer_clip_config(strip(shapes, "conditioner.embedders.0.transformer."), "text_encoder");
      EXPECT_TRUE(te1.unresolved.empty());
      expect_subset(te1.config, clip_fields(want["text_encoder"]["config"]), "text_encoder");
    }
    const InferredConfig vae = infer_vae_config(strip(shapes, "first_stage_model."));
    EXPECT_TRUE(vae.unresolved.empty()) << single;
    expect_subset(vae.config, want["vae"]["config"], std::string(single) + " vae");
    const InferredConfig unet =
        infer_unet_config(strip(shapes, "model.diffusion_model."), te2.config["projection_dim"], base ? 6 : 5);
    EXPECT_TRUE(unet.unresolved.empty()) << single;
    expect_subset(unet.config, want["unet"]["config"], std::string(single) + " unet");
    // Without the pooled width, SDXL's sizes are recognised as such.
    EXPECT_TRUE(infer_unet_config(strip(shapes, "model.diffusion_model."), 0, 0).unresolved.empty()) << single;
  }
}

TEST(FullSize, PresetsRejectUnknownNames) {
  EXPECT_THROW(preset_config("sdxl-refiner", "text_encoder"), Error);
  EXPECT_THROW(preset_config("sd15", "unet"), Error);
  EXPECT_THROW(expected_tensors("controlnet", nlohmann::json::object()), Error);
  // Configs that change the tensor set in ways sdxl-gen does not build are refused by name.
  nlohmann::json cfg = preset_config("sdxl-base", "unet");
  cfg["class_embed_type"] = "timestep";
  try {
    expected_tensors("unet", cfg);
    ADD_FAILURE() << "class_embed_type accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("class_embed_type"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace sdxl
