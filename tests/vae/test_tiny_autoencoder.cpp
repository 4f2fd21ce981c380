// AutoencoderTiny (TAESDXL architecture) against diffusers v0.27.2 on random weights
// (tests/vae/data/, made by make_tiny_autoencoder_goldens.py): decode and encode, from the diffusers folder
// (config.json), from its weights file alone (config inferred from tensor shapes) and from madebyollin's
// single-file layout (taesdxl_encoder/decoder.safetensors).
#include <gtest/gtest.h>

#include "common/error.h"
#include "io/atomic_file.h"
#include "io/safetensors.h"
#include "test_util.h"
#include "vae/tiny_autoencoder.h"

namespace sdxl {
namespace {

const std::string kData = std::string(SDXL_SOURCE_DIR) + "/tests/vae/data/";

StateDict read_all(const std::string& path) {
  auto file = io::SafetensorsFile::open(path);
  StateDict out;
  for (const auto& t : file->tensors()) out[t.name] = file->tensor(t.name);
  return out;
}

AutoencoderTiny build(const TinyAutoencoderConfig& c, const StateDict& tensors) {
  AutoencoderTiny vae(c, at::TensorOptions().dtype(at::kFloat));
  load_state_dict(*vae, tensors, "tiny autoencoder");
  return vae;
}

void expect_matches_golden(AutoencoderTiny& vae, const std::string& layout) {
  c10::InferenceMode guard;
  const auto golden = test::load_golden_abs(kData + "tiny_autoencoder_golden.safetensors");
  EXPECT_TRUE(test::AllClose(layout + " decode", vae->decode(golden.at("latents")), golden.at("decoded"), 1e-5));
  EXPECT_TRUE(test::AllClose(layout + " encode", vae->encode(golden.at("image")), golden.at("encoded"), 1e-5));
}

TEST(AutoencoderTiny, DiffusersFolderMatchesReference) {
  const auto config = TinyAutoencoderConfig::from_json(
      nlohmann::json::parse(io::read_file(kData + "tiny-taesdxl/config.json")), "config.json");
  EXPECT_EQ(config.encoder_block_out_channels, (std::vector<int64_t>{8, 8, 8, 8}));
  EXPECT_EQ(config.num_decoder_blocks, (std::vector<int64_t>{3, 3, 3, 1}));
  AutoencoderTiny vae = build(config, read_all(kData + "tiny-taesdxl/diffusion_pytorch_model.safetensors"));
  expect_matches_golden(vae, "folder");
}

TEST(AutoencoderTiny, ConfigInferredFromTensorNamesAndShapes) {
  const StateDict tensors = read_all(kData + "tiny-taesdxl/diffusion_pytorch_model.safetensors");
  const auto c = TinyAutoencoderConfig::infer(tensors, "weights");
  EXPECT_EQ(c.encoder_block_out_channels, (std::vector<int64_t>{8, 8, 8, 8}));
  EXPECT_EQ(c.decoder_block_out_channels, (std::vector<int64_t>{8, 8, 8, 8}));
  EXPECT_EQ(c.num_encoder_blocks, (std::vector<int64_t>{1, 3, 3, 3}));
  EXPECT_EQ(c.num_decoder_blocks, (std::vector<int64_t>{3, 3, 3, 1}));
  EXPECT_EQ(c.latent_channels, 4);
  EXPECT_EQ(c.out_channels, 3);
  AutoencoderTiny vae = build(c, tensors);
  expect_matches_golden(vae, "inferred");
}

TEST(AutoencoderTiny, SingleFileLayoutMatchesReference) {
  StateDict tensors = taesd_to_diffusers(read_all(kData + "taesdxl_decoder.safetensors"), "decoder");
  for (auto& [name, t] : taesd_to_diffusers(read_all(kData + "taesdxl_encoder.safetensors"), "encoder"))
    tensors[name] = t;
  AutoencoderTiny vae = build(TinyAutoencoderConfig::infer(tensors, "single files"), tensors);
  expect_matches_golden(vae, "single files");
}

TEST(AutoencoderTiny, DecoderAloneDecodesAndRefusesToEncode) {
  const StateDict tensors = taesd_to_diffusers(read_all(kData + "taesdxl_decoder.safetensors"), "decoder");
  AutoencoderTiny vae(TinyAutoencoderConfig::infer(tensors, "decoder"), at::TensorOptions().dtype(at::kFloat),
                      /*with_encoder=*/false);
  load_state_dict(*vae, tensors, "decoder only");
  c10::InferenceMode guard;
  const auto golden = test::load_golden_abs(kData + "tiny_autoencoder_golden.safetensors");
  EXPECT_TRUE(test::AllClose("decoder only", vae->decode(golden.at("latents")), golden.at("decoded"), 1e-5));
  EXPECT_THROW(vae->encode(golden.at("image")), Error);
}

TEST(AutoencoderTiny, RejectsOtherActivationsAndLayouts) {
  EXPECT_THROW(TinyAutoencoderConfig::from_json({{"act_fn", "silu"}}, "cfg"), Error);
  EXPECT_THROW(TinyAutoencoderConfig::infer({{"decoder.conv_in.weight", at::zeros({4})}}, "kl"), Error);
  EXPECT_THROW(taesd_to_diffusers({{"encoder.conv_in.weight", at::zeros({4})}}, "kl"), Error);
}

}  // namespace
}  // namespace sdxl
