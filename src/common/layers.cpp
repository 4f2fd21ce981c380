#include "common/layers.h"

namespace sdxl {
namespace {

// Parameters never need gradients here (inference engine); uninitialised until a checkpoint is loaded.
at::Tensor make_parameter(torch::nn::Module& m, const char* name, at::IntArrayRef shape,
                          const at::TensorOptions& options) {
  return m.register_parameter(name, at::empty(shape, options), /*requires_grad=*/false);
}

// bf16 products without oneDNN go through fp32 (layers.h says why).
bool through_fp32(const at::Tensor& x) {
  return x.is_cpu() && x.scalar_type() == at::kBFloat16 && !at::globalContext().userEnabledMkldnn();
}

at::Tensor to_fp32(const at::Tensor& t) { return t.defined() ? t.to(at::kFloat) : t; }

}  // namespace

at::Tensor linear_product(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias) {
  if (!through_fp32(x)) return at::linear(x, weight, bias);
  return at::linear(to_fp32(x), to_fp32(weight), to_fp32(bias)).to(x.scalar_type());
}

at::Tensor conv2d_product(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias, int64_t stride,
                          int64_t padding) {
  if (!through_fp32(x)) return at::conv2d(x, weight, bias, stride, padding);
  return at::conv2d(to_fp32(x), to_fp32(weight), to_fp32(bias), stride, padding).to(x.scalar_type());
}

LinearImpl::LinearImpl(int64_t in_features, int64_t out_features, bool with_bias, const at::TensorOptions& options) {
  weight = make_parameter(*this, "weight", {out_features, in_features}, options);
  if (with_bias) bias = make_parameter(*this, "bias", {out_features}, options);
}

Conv2dImpl::Conv2dImpl(int64_t in_channels, int64_t out_channels, int64_t kernel, int64_t stride, int64_t padding,
                       const at::TensorOptions& options, bool with_bias)
    : stride_(stride), padding_(padding) {
  weight = make_parameter(*this, "weight", {out_channels, in_channels, kernel, kernel}, options);
  if (with_bias) bias = make_parameter(*this, "bias", {out_channels}, options);
}

void use_channels_last(torch::nn::Module& m) {
  for (const auto& child : m.modules(/*include_self=*/false)) {
    auto* conv = dynamic_cast<Conv2dImpl*>(child.get());
    if (!conv || !conv->weight.device().is_cpu() || !at::globalContext().userEnabledMkldnn()) continue;
    conv->weight.set_data(conv->weight.contiguous(at::MemoryFormat::ChannelsLast));
  }
}

GroupNormImpl::GroupNormImpl(int64_t groups, int64_t channels, double eps, const at::TensorOptions& options)
    : groups_(groups), eps_(eps) {
  weight = make_parameter(*this, "weight", {channels}, options);
  bias = make_parameter(*this, "bias", {channels}, options);
}

LayerNormImpl::LayerNormImpl(int64_t dim, double eps, const at::TensorOptions& options) : eps_(eps) {
  weight = make_parameter(*this, "weight", {dim}, options);
  bias = make_parameter(*this, "bias", {dim}, options);
}

EmbeddingImpl::EmbeddingImpl(int64_t count, int64_t dim, const at::TensorOptions& options) {
  weight = make_parameter(*this, "weight", {count, dim}, options);
}

}  // namespace sdxl
