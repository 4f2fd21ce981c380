// The decoder's upsampler computed without the upsampled image (upsample2x_conv3x3) against what the
// reference runs: libtorch's nearest x2 upsample followed by the 3x3 convolution (padding 1), at odd sizes,
// in both memory layouts and in bf16; and the channels-last weights of the models on the CPU.
#include <gtest/gtest.h>

#include "vae/blocks.h"

namespace sdxl {
namespace {

struct Case {
  at::Tensor x, weight, bias;
};

Case random_case(at::ScalarType dtype, at::MemoryFormat format) {
  at::manual_seed(7);
  Case c{at::randn({2, 8, 5, 7}), at::randn({6, 8, 3, 3}) * 0.2, at::randn({6})};
  c.x = c.x.to(dtype).contiguous(format);
  c.weight = c.weight.to(dtype).contiguous(format);
  c.bias = c.bias.to(dtype);
  return c;
}

at::Tensor reference(const Case& c) {
  const at::Tensor up = at::upsample_nearest2d(c.x, {2 * c.x.size(2), 2 * c.x.size(3)});
  return at::conv2d(up, c.weight, c.bias, 1, 1);
}

TEST(VaeUpsample, EqualsNearestUpsampleThenConvolution) {
  for (auto format : {at::MemoryFormat::Contiguous, at::MemoryFormat::ChannelsLast}) {
    const Case c = random_case(at::kFloat, format);
    const at::Tensor got = upsample2x_conv3x3(c.x, c.weight, c.bias), want = reference(c);
    ASSERT_EQ(got.sizes(), want.sizes());
    EXPECT_LT((got - want).abs().max().item<double>(), 1e-5) << "memory format " << format;
  }
}

TEST(VaeUpsample, Bfloat16StaysWithinItsRounding) {
  const Case c = random_case(at::kBFloat16, at::MemoryFormat::ChannelsLast);
  const at::Tensor got = upsample2x_conv3x3(c.x, c.weight, c.bias).to(at::kFloat);
  const at::Tensor exact = reference(Case{c.x.to(at::kFloat), c.weight.to(at::kFloat), c.bias.to(at::kFloat)});
  // bf16 keeps 8 significant bits: the reference's own bf16 run is off by about as much.
  const double scale = exact.abs().max().item<double>();
  EXPECT_LT((got - exact).abs().max().item<double>(), 0.02 * scale);
}

TEST(VaeUpsample, ModuleUsesItsConvolution) {
  VaeUpsample up(8, at::TensorOptions().dtype(at::kFloat));
  const Case c = random_case(at::kFloat, at::MemoryFormat::Contiguous);
  up->conv->weight.copy_(c.weight.narrow(0, 0, 6).repeat({2, 1, 1, 1}).narrow(0, 0, 8));
  up->conv->bias.copy_(at::arange(8, at::kFloat));
  const at::Tensor want = reference(Case{c.x, up->conv->weight, up->conv->bias});
  EXPECT_LT((up(c.x) - want).abs().max().item<double>(), 1e-5);
}

}  // namespace
}  // namespace sdxl
