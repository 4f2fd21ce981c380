// bf16 Linear / Conv2d with oneDNN switched off (as --reproducible does): the product is libtorch's fp32 product
// of the exactly upcast operands, rounded to bf16 once (the mode's fp32 paths, which are thread-count and CPU
// independent), bit for bit, at 1 and at 2 threads. The expected values are libtorch's own fp32 kernels.
#include <gtest/gtest.h>

#include <ATen/Context.h>
#include <ATen/Parallel.h>

#include "common/layers.h"

namespace sdxl {
namespace {

// oneDNN off for the test's duration, as enter_reproducible_mode leaves it; restored after.
struct OneDnnOff {
  bool was = at::globalContext().userEnabledMkldnn();
  int threads = at::get_num_threads();
  OneDnnOff() { at::globalContext().setUserEnabledMkldnn(false); }
  ~OneDnnOff() {
    at::globalContext().setUserEnabledMkldnn(was);
    at::set_num_threads(threads);
  }
};

const at::TensorOptions kBf16 = at::TensorOptions().dtype(at::kBFloat16);

at::Tensor fp32(const at::Tensor& t) { return t.to(at::kFloat); }

// Same bits (bf16 compared as 16-bit integers: NaN-safe and exact).
void expect_same_bits(const at::Tensor& got, const at::Tensor& want, const std::string& what) {
  ASSERT_EQ(got.scalar_type(), at::kBFloat16) << what;
  ASSERT_EQ(got.sizes(), want.sizes()) << what;
  const at::Tensor g = got.contiguous().view(at::kShort), w = want.contiguous().view(at::kShort);
  EXPECT_TRUE(at::equal(g, w)) << what << ": " << g.ne(w).sum().item<int64_t>() << " of " << g.numel() << " differ";
}

TEST(LayersBf16WithoutOneDnn, LinearIsTheFp32ProductRoundedOnce) {
  OneDnnOff off;
  at::manual_seed(3);
  Linear linear(320, 640, /*bias=*/true, kBf16);
  linear->weight.copy_(at::randn({640, 320}) * 0.05);
  linear->bias.copy_(at::randn({640}));
  const at::Tensor x = at::randn({2, 256, 320}).to(at::kBFloat16);
  const at::Tensor want = at::linear(fp32(x), fp32(linear->weight), fp32(linear->bias)).to(at::kBFloat16);
  for (int threads : {1, 2}) {
    at::set_num_threads(threads);
    expect_same_bits(linear(x), want, "linear, " + std::to_string(threads) + " thread(s)");
  }
}

TEST(LayersBf16WithoutOneDnn, ConvolutionsAreTheFp32ProductRoundedOnce) {
  OneDnnOff off;
  at::manual_seed(4);
  for (int64_t kernel : {3, 1}) {
    Conv2d conv(64, 96, kernel, /*stride=*/1, /*padding=*/kernel / 2, kBf16);
    conv->weight.copy_(at::randn(conv->weight.sizes()) * 0.05);
    conv->bias.copy_(at::randn({96}));
    const at::Tensor x = at::randn({2, 64, 48, 48}).to(at::kBFloat16);
    const at::Tensor want =
        at::conv2d(fp32(x), fp32(conv->weight), fp32(conv->bias), 1, kernel / 2).to(at::kBFloat16);
    for (int threads : {1, 2}) {
      at::set_num_threads(threads);
      expect_same_bits(conv(x), want, std::to_string(kernel) + "x" + std::to_string(kernel) + " convolution, " +
                                          std::to_string(threads) + " thread(s)");
    }
  }
}

}  // namespace
}  // namespace sdxl
