// --vae (a standalone VAE of either kind, detected by tensor names) and --preview through the Pipeline API.
#include <gtest/gtest.h>

#include <filesystem>

#include "common/error.h"
#include "io/safetensors.h"
#include "pipeline/preview.h"
#include "pipeline/vae_override.h"
#include "sdxl/pipeline.h"
#include "test_util.h"

namespace sdxl::test {
namespace {

const std::string kTaesdData = std::string(SDXL_SOURCE_DIR) + "/tests/vae/data/";

GenerationRequest lighthouse_64x48() {
  GenerationRequest r;
  r.text.prompt = "a lighthouse";
  r.sampling.size = Size{64, 48};
  r.sampling.steps = 4;
  r.sampling.seed = 3;
  return r;
}

PipelineOptions tiny_fp32_options(const std::string& vae = "") {
  PipelineOptions o;
  o.model = fixture("tiny-sdxl");
  o.dtype = o.vae_dtype = DType::Fp32;
  o.vae = vae;
  return o;
}

TEST(VaeOverride, DetectsTheTinyAutoencoderInEveryLayout) {
  const VaeOverride folder = open_vae_override(kTaesdData + "tiny-taesdxl");
  EXPECT_EQ(folder.kind, VaeKind::AutoencoderTiny);
  EXPECT_TRUE(folder.tiny_has_encoder);
  const VaeOverride single = open_vae_override(kTaesdData + "taesdxl_decoder.safetensors");
  EXPECT_EQ(single.kind, VaeKind::AutoencoderTiny);
  EXPECT_TRUE(single.tiny_has_encoder) << "the encoder beside the decoder file is picked up";
  const std::string alone = temp_path("taesd_alone");
  std::filesystem::create_directories(alone);
  std::filesystem::copy_file(kTaesdData + "taesdxl_decoder.safetensors", alone + "/taesdxl_decoder.safetensors",
                             std::filesystem::copy_options::overwrite_existing);
  EXPECT_FALSE(open_vae_override(alone + "/taesdxl_decoder.safetensors").tiny_has_encoder);
  EXPECT_EQ(open_vae_override(fixture("tiny-sdxl/vae")).kind, VaeKind::AutoencoderKL);
}

TEST(VaeOverride, RefusesFilesWithoutAnAutoencoder) {
  EXPECT_THROW(open_vae_override(fixture("tiny-sdxl/unet")), Error);
  EXPECT_THROW(open_vae_override(fixture("no-such-vae.safetensors")), Error);
}

// The checkpoint's own VAE given again with --vae (folder, and a file of first_stage_model.* keys cut out of
// the single-file checkpoint) decodes exactly as without.
TEST(VaeOverride, SameAutoencoderKLGivesTheSameImage) {
  c10::InferenceMode guard;
  const GenerationResult plain = Pipeline(tiny_fp32_options()).generate(lighthouse_64x48());
  const GenerationResult folder = Pipeline(tiny_fp32_options(fixture("tiny-sdxl/vae"))).generate(lighthouse_64x48());
  EXPECT_TRUE(at::equal(plain.decoded, folder.decoded));
  EXPECT_EQ(folder.runtime.at("vae_kind"), "AutoencoderKL");

  auto ckpt = io::SafetensorsFile::open(fixture("tiny_sdxl_base.safetensors"));
  std::map<std::string, at::Tensor> vae_only;
  for (const auto& t : ckpt->tensors())
    if (t.name.rfind("first_stage_model.", 0) == 0) vae_only[t.name] = ckpt->tensor(t.name);
  const std::string path = temp_path("first_stage_only.safetensors");
  io::save_safetensors(path, vae_only);
  const GenerationResult single = Pipeline(tiny_fp32_options(path)).generate(lighthouse_64x48());
  EXPECT_TRUE(AllClose("first_stage_model VAE", single.decoded, plain.decoded, 1e-5));
}

TEST(Preview, LatentToRgbIsTheComfyUiLinearMap) {
  // Latent channel k set to 1 (others 0) gives factor row k + bias, mapped from [-1,1] to 8 bits as ComfyUI's
  // Latent2RGBPreviewer does (tests/cited/make_cited_values.py).
  at::Tensor latents = at::zeros({1, 4, 1, 4});
  for (int k = 0; k < 4; ++k) latents[0][k][0][k] = 1.0;
  const at::Tensor rgb = latent_rgb_preview(latents).to(at::kInt);
  ASSERT_EQ(rgb.sizes(), (at::IntArrayRef{1, 1, 4, 3}));
  const nlohmann::json want =
      read_json(std::string(SDXL_SOURCE_DIR) + "/tests/cited/cited_values.json").at("latent_preview").at("rgb");
  for (int x = 0; x < 4; ++x)
    for (int c = 0; c < 3; ++c)
      EXPECT_EQ(rgb[0][0][x][c].item<int>(), want[x][c].get<int>()) << "channel " << x << " -> RGB " << c;
}

TEST(Preview, DueEveryNStepsAndAfterTheLast) {
  c10::InferenceMode guard;
  for (const std::string vae : {std::string(), kTaesdData + "tiny-taesdxl"}) {
    GenerationRequest r = lighthouse_64x48();
    r.sampling.steps = 5;
    r.output.preview = temp_path("unused.png");  // the CLI writes it; the library only hands the image over
    r.output.preview_every = 2;
    std::vector<int> steps;
    std::vector<at::Tensor> images;
    PipelineOptions o = tiny_fp32_options();
    o.preview_vae = vae;
    Pipeline(o).generate(r, [&](const Progress& p) {
      if (!p.preview.defined()) return;
      steps.push_back(p.step);
      images.push_back(p.preview);
    });
    EXPECT_EQ(steps, (std::vector<int>{2, 4, 5})) << vae;
    ASSERT_FALSE(images.empty());
    const int64_t scale = vae.empty() ? 8 : 1;  // the latent-to-RGB map works at latent resolution
    EXPECT_EQ(images[0].sizes(), (at::IntArrayRef{64 / scale, 48 / scale, 3})) << vae;
    EXPECT_EQ(images[0].scalar_type(), at::kByte);
  }
}

}  // namespace
}  // namespace sdxl::test
