// The image encoder stage against transformers 4.44.2 (tests/vision/data/make_ip_adapter_goldens.py):
// CLIPImageProcessor's pixel values, CLIPVisionModelWithProjection's image_embeds and hidden_states[-2] for
// tiny random encoders with both activations, from a transformers folder and from the single-file layouts.
#include <gtest/gtest.h>

#include "io/png.h"
#include "test_util.h"
#include "vision/clip_image_processor.h"
#include "vision/clip_vision_model.h"
#include "vision/image_encoder_file.h"

namespace sdxl::test {
namespace {

std::string vision_data(const std::string& name) { return std::string(SDXL_SOURCE_DIR) + "/tests/vision/data/" + name; }

const std::map<std::string, at::Tensor>& goldens() {
  static const auto g = load_golden_abs(vision_data("encoder_goldens.safetensors"));
  return g;
}

CLIPVisionModel load(const std::string& path) {
  const ImageEncoderFile f = open_image_encoder(path);
  return load_clip_vision_model(f.tensors(), f.config, path);
}

// Pixel values are computed in float32 from 8-bit Pillow output: equal up to float rounding of the last op.
TEST(ClipImageProcessor, EqualsTransformersOnEnlargedAndReducedImages) {
  for (const std::string image : {"ip_a", "ip_b"}) {
    const at::Tensor got = clip_image_pixels(io::read_png(vision_data(image + ".png")), 224);
    EXPECT_TRUE(AllClose(image + ".pixel_values", got, goldens().at(image + ".pixel_values"), 1e-6));
  }
}

TEST(ClipVisionModel, BothActivationsEqualTransformers) {
  c10::InferenceMode guard;
  for (const std::string enc : {"gelu", "quick_gelu"}) {
    CLIPVisionModel model = load(vision_data("image_encoder_" + enc));
    for (const std::string image : {"ip_a", "ip_b"}) {
      const CLIPVisionOutput out = model->forward(goldens().at(image + ".pixel_values"));
      const std::string k = enc + "." + image;
      EXPECT_TRUE(AllClose(k + ".image_embeds", out.image_embeds, goldens().at(k + ".image_embeds"), 1e-4));
      EXPECT_TRUE(AllClose(k + ".penultimate", out.penultimate, goldens().at(k + ".penultimate"), 1e-4));
    }
    // The zero pixels diffusers encodes as the unconditional input of Plus adapters.
    const CLIPVisionOutput zero = model->forward(at::zeros({1, 3, 224, 224}));
    EXPECT_TRUE(AllClose(enc + ".zeros.penultimate", zero.penultimate, goldens().at(enc + ".zeros.penultimate"), 1e-4));
  }
}

TEST(ClipVisionModel, SingleFileLayoutsEqualTheFolder) {
  c10::InferenceMode guard;
  for (const std::string file : {"encoder_gelu_single.safetensors", "encoder_gelu_open_clip.safetensors"}) {
    const ImageEncoderFile f = open_image_encoder(vision_data(file));
    EXPECT_EQ(f.config.num_attention_heads, 2) << file;
    EXPECT_EQ(f.config.hidden_act, ClipActivation::Gelu) << file;
    CLIPVisionModel model = load_clip_vision_model(f.tensors(), f.config, file);
    const CLIPVisionOutput out = model->forward(goldens().at("ip_b.pixel_values"));
    EXPECT_TRUE(AllClose(file + " image_embeds", out.image_embeds, goldens().at("gelu.ip_b.image_embeds"), 1e-4));
    EXPECT_TRUE(AllClose(file + " penultimate", out.penultimate, goldens().at("gelu.ip_b.penultimate"), 1e-4));
  }
}

TEST(ImageEncoderFile, BadPathsNameTheFile) {
  try {
    open_image_encoder(vision_data("no_such_encoder"));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::Input);
    EXPECT_NE(std::string(e.what()).find("no_such_encoder"), std::string::npos) << e.what();
  }
  // A safetensors file that is not a vision tower (an IP-Adapter).
  EXPECT_THROW(open_image_encoder(vision_data("ip_base.safetensors")), Error);
}

}  // namespace
}  // namespace sdxl::test
