// Leaf layers shared by the UNet, VAE and text encoders (Linear, Conv2d, GroupNorm, LayerNorm, Embedding)
// with PyTorch's parameter names (`weight`, `bias`), allocated UNINITIALISED in caller-given tensor options.
//
// Why not torch::nn::Linear & co.: those always allocate float32 on the CPU and fill it with a random
// init that a checkpoint overwrites anyway. For SDXL (2.6 G UNet parameters) that is ~10 GB and seconds
// of wasted work; these layers are created directly in the target dtype/device (fp16 on CUDA, or the
// meta device to check shapes without memory). A model built from them is meaningless until
// `load_state_dict` (weights/state_dict.h) has filled every parameter; the strict loader guarantees that.
#pragma once
#include <torch/torch.h>

namespace sdxl {

// at::linear and at::conv2d, except for bf16 on the CPU with oneDNN switched off (what the --reproducible mode
// does, src/pipeline/reproducible.h): there ATen has no fast bf16 kernel left (its generic fallback ran a 3x3
// convolution 140-200x slower than oneDNN), so the product is computed in fp32 on the exactly upcast operands,
// through the same MKL GEMM / im2col paths as the mode's fp32 (thread-count and CPU independent under
// MKL_CBWR), and the result rounded to bf16 once. The weights stay bf16 in memory (upcast per call).
at::Tensor linear_product(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias);
at::Tensor conv2d_product(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias, int64_t stride = 1,
                          int64_t padding = 0);

// y = x W^T + b over the last dimension. weight [out, in], bias [out] (absent when bias == false).
struct LinearImpl : torch::nn::Module {
  LinearImpl(int64_t in_features, int64_t out_features, bool bias, const at::TensorOptions& options);
  at::Tensor forward(const at::Tensor& x) { return linear_product(x, weight, bias); }
  at::Tensor weight, bias;
};
TORCH_MODULE(Linear);

// Square-kernel 2-D convolution. weight [out, in, k, k], bias [out] (absent when with_bias == false).
struct Conv2dImpl : torch::nn::Module {
  Conv2dImpl(int64_t in_channels, int64_t out_channels, int64_t kernel, int64_t stride, int64_t padding,
             const at::TensorOptions& options, bool with_bias = true);
  at::Tensor forward(const at::Tensor& x) { return conv2d_product(x, weight, bias, stride_, padding_); }
  at::Tensor weight, bias;

 private:
  int64_t stride_, padding_;
};
TORCH_MODULE(Conv2d);

// Stores every Conv2d weight of `m` in channels-last (NHWC) memory order, values unchanged, when that is the
// faster layout: on the CPU with oneDNN enabled (not in the reproducible mode, whose im2col path would then
// sum in another order). A convolution whose weight is channels-last makes its output channels-last too, so
// from the first convolution on the activations stay NHWC, the layout oneDNN's convolutions use natively:
// no reorder of activations into and out of a blocked layout around every convolution, and the pixel <->
// token transposes around attention become views. Loaders and LoRA merges copy into weights in place, so
// the layout survives them. Measured on the full-size SDXL UNet and VAE in docs/performance.md.
void use_channels_last(torch::nn::Module& m);

// GroupNorm over NC... inputs with per-channel affine weight/bias [C].
struct GroupNormImpl : torch::nn::Module {
  GroupNormImpl(int64_t groups, int64_t channels, double eps, const at::TensorOptions& options);
  at::Tensor forward(const at::Tensor& x) { return at::group_norm(x, groups_, weight, bias, eps_); }
  at::Tensor weight, bias;

 private:
  int64_t groups_;
  double eps_;
};
TORCH_MODULE(GroupNorm);

// LayerNorm over the last dimension with affine weight/bias [dim].
struct LayerNormImpl : torch::nn::Module {
  LayerNormImpl(int64_t dim, double eps, const at::TensorOptions& options);
  at::Tensor forward(const at::Tensor& x) { return at::layer_norm(x, {weight.size(0)}, weight, bias, eps_); }
  at::Tensor weight, bias;

 private:
  double eps_;
};
TORCH_MODULE(LayerNorm);

// Lookup table (token / position embeddings): row i of weight [count, dim] is the vector of index i.
struct EmbeddingImpl : torch::nn::Module {
  EmbeddingImpl(int64_t count, int64_t dim, const at::TensorOptions& options);
  at::Tensor forward(const at::Tensor& indices) { return at::embedding(weight, indices); }
  at::Tensor weight;
};
TORCH_MODULE(Embedding);

}  // namespace sdxl
