// uint8 conversions: rounding half to even like the reference, exact round trips, and the reference PNG pixels.
#include "common/error.h"
#include "test_util.h"
#include "vae/postprocess.h"

namespace sdxl {
namespace {

// Find image values whose (x/2 + 0.5) * 255 is exactly k + 0.5 in float32 (candidates around (k+0.5)/255) and
// check they go to the even neighbour, as numpy's round() does in diffusers' numpy_to_pil.
TEST(Postprocess, RoundsHalfToEven) {
  std::vector<float> xs;
  for (int k = 0; k < 255; ++k) {
    float u = (k + 0.5f) / 255.f;
    for (int step = 0; step < 8; ++step) u = std::nextafter(u, 0.f);
    for (int step = 0; step < 16; ++step, u = std::nextafter(u, 1.f)) xs.push_back((u - 0.5f) * 2.f);
  }
  at::Tensor x = at::tensor(xs);
  at::Tensor v = (x / 2 + 0.5).clamp(0, 1) * 255;  // the reference's float32 value before rounding
  at::Tensor is_half = v == at::floor(v) + 0.5;
  at::Tensor floor_even = at::floor(v).remainder(2) == 0;
  const int64_t halves = is_half.sum().item<int64_t>();
  ASSERT_GT(halves, 20);
  ASSERT_GT((is_half & floor_even).sum().item<int64_t>(), 5);  // cases where half-up would differ

  at::Tensor image = x.reshape({1, 1, 1, -1}).expand({1, 3, 1, x.numel()}).contiguous();
  at::Tensor got = image_to_uint8(image).select(3, 0).reshape({-1}).to(at::kFloat);  // [N]
  at::Tensor half_even = at::where(floor_even, at::floor(v), at::floor(v) + 1);
  EXPECT_TRUE(at::equal(got.masked_select(is_half), half_even.masked_select(is_half)));
  EXPECT_TRUE(at::equal(got, at::round(v)));  // and everywhere else plain round-to-nearest

  EXPECT_EQ(image_to_uint8(at::zeros({1, 3, 1, 1}))[0][0][0][0].item<uint8_t>(), 128);  // 127.5 -> 128 (even)
}

TEST(Postprocess, ClampsAndKeepsChannelOrder) {
  at::Tensor image = at::zeros({2, 3, 2, 2});
  image.select(1, 0).fill_(5.0);   // red far above 1 -> 255
  image.select(1, 1).fill_(-5.0);  // green far below -1 -> 0
  image.select(1, 2).fill_(1.0);   // blue at 1 -> 255
  at::Tensor u8 = image_to_uint8(image);
  EXPECT_EQ(u8.scalar_type(), at::kByte);
  EXPECT_EQ(u8[0][1][1][0].item<uint8_t>(), 255);
  EXPECT_EQ(u8[0][1][1][1].item<uint8_t>(), 0);
  EXPECT_EQ(u8[0][1][1][2].item<uint8_t>(), 255);
  EXPECT_THROW(image_to_uint8(at::zeros({1, 4, 2, 2})), Error);
  EXPECT_THROW(uint8_to_image(at::zeros({2, 2, 3})), Error);  // float, not uint8
}

TEST(Postprocess, RoundTripsEveryByteValue) {
  at::Tensor pixels = at::arange(256 * 3, at::kLong).remainder(256).to(at::kByte).reshape({16, 16, 3});
  at::Tensor image = uint8_to_image(pixels);
  ASSERT_EQ(image.sizes(), (std::vector<int64_t>{1, 3, 16, 16}));
  EXPECT_EQ(image.min().item<float>(), -1.f);
  EXPECT_EQ(image.max().item<float>(), 1.f);
  EXPECT_TRUE(at::equal(image_to_uint8(image)[0], pixels));
}

// The img2img golden's preprocessed image is the reference PNG (= base_euler_8_cfg5.png) through diffusers'
// preprocess; the same PNG is the reference postprocess of base_euler_8_cfg5's decoded image. So
// postprocess(golden image) must give exactly the pixels that preprocess maps onto the golden preprocessed image.
TEST(Postprocess, MatchesReferencePngPixels) {
  auto txt2img = test::load_golden("pipeline_golden/base_euler_8_cfg5.safetensors");
  auto sdedit = test::load_golden("pipeline_golden/refiner_sdedit_strength0.3.safetensors");
  at::Tensor pixels = image_to_uint8(txt2img.at("image"))[0];  // [96,64,3]
  ASSERT_EQ(pixels.sizes(), (std::vector<int64_t>{96, 64, 3}));
  at::Tensor preprocessed = uint8_to_image(pixels);
  EXPECT_TRUE(test::AllClose("refiner_sdedit.preprocessed_image", preprocessed, sdedit.at("preprocessed_image"), 0.0));
}

}  // namespace
}  // namespace sdxl
