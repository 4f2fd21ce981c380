#include "vae/blocks.h"

#include <ATen/record_function.h>

#include "common/cancellation.h"
#include "common/layers.h"

namespace sdxl {

VaeDownsampleImpl::VaeDownsampleImpl(int64_t channels, const at::TensorOptions& options) {
  conv = register_module("conv", Conv2d(channels, channels, 3, /*stride=*/2, /*padding=*/0, options));
}

at::Tensor VaeDownsampleImpl::forward(const at::Tensor& x) {
  // Asymmetric padding (left 0, right 1, top 0, bottom 1) as in the LDM encoder.
  return conv(at::constant_pad_nd(x, {0, 1, 0, 1}, 0));
}

VaeUpsampleImpl::VaeUpsampleImpl(int64_t channels, const at::TensorOptions& options) {
  conv = register_module("conv", conv3x3(channels, channels, options));
}

at::Tensor upsample2x_conv3x3(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias) {
  // One row of `bench --profile`, its FLOPs counted as the reference's upsample + convolution.
  RECORD_FUNCTION("sdxl::upsample2x_conv3x3", std::vector<c10::IValue>({x, weight}));
  const int64_t b = x.size(0), h = x.size(2), w = x.size(3), out_ch = weight.size(0);
  // Per phase, the 3x3 taps (offsets -1, 0, +1 along one axis) that land on each of the two input pixels:
  // phase 0 reads offsets (-1, 0) with taps {0} and {1, 2}; phase 1 reads (0, +1) with taps {0, 1} and {2}.
  auto fold = [](const at::Tensor& k, int64_t dim, int64_t phase) {
    const at::Tensor t0 = k.narrow(dim, 0, 1), t1 = k.narrow(dim, 1, 1), t2 = k.narrow(dim, 2, 1);
    return phase == 0 ? at::cat({t0, t1 + t2}, dim) : at::cat({t0 + t1, t2}, dim);
  };
  const at::Tensor k = weight.to(at::kFloat);
  std::vector<at::Tensor> phases;
  for (int64_t a : {0, 1})
    for (int64_t c : {0, 1}) phases.push_back(fold(fold(k, 2, a), 3, c));
  const at::Tensor kernels = at::cat(phases, 0).to(weight.scalar_type()).contiguous(weight.suggest_memory_format());
  const at::Tensor biases = bias.defined() ? bias.repeat({4}) : bias;
  // [B, 4*out, h+1, w+1]: phase (a, c)'s output pixel (i, j) sits at (i+a, j+c) of its channel group.
  const at::Tensor z = conv2d_product(at::constant_pad_nd(x, {1, 1, 1, 1}), kernels, biases);
  at::Tensor out = at::empty({b, out_ch, 2 * h, 2 * w}, z.options().memory_format(z.suggest_memory_format()));
  for (int64_t a : {0, 1})
    for (int64_t c : {0, 1})
      out.slice(2, a, 2 * h, 2).slice(3, c, 2 * w, 2).copy_(
          z.narrow(1, (2 * a + c) * out_ch, out_ch).narrow(2, a, h).narrow(3, c, w));
  return out;
}

at::Tensor VaeUpsampleImpl::forward(const at::Tensor& x) { return upsample2x_conv3x3(x, conv->weight, conv->bias); }

DownEncoderBlockImpl::DownEncoderBlockImpl(int64_t in_channels, int64_t out_channels, int64_t layers, int64_t groups,
                                           bool downsample, const at::TensorOptions& options) {
  resnets = register_module("resnets", torch::nn::ModuleList());
  for (int64_t i = 0; i < layers; ++i)
    resnets->push_back(VaeResnetBlock(i == 0 ? in_channels : out_channels, out_channels, groups, options));
  downsamplers = register_module("downsamplers", torch::nn::ModuleList());
  if (downsample) downsamplers->push_back(VaeDownsample(out_channels, options));
}

at::Tensor DownEncoderBlockImpl::forward(at::Tensor x) {
  for (const auto& r : *resnets) {
    cancellation_point();  // a large image's resnet can take seconds
    x = r->as<VaeResnetBlock>()->forward(x);
  }
  for (const auto& d : *downsamplers) x = d->as<VaeDownsample>()->forward(x);
  return x;
}

UpDecoderBlockImpl::UpDecoderBlockImpl(int64_t in_channels, int64_t out_channels, int64_t layers, int64_t groups,
                                       bool upsample, const at::TensorOptions& options) {
  resnets = register_module("resnets", torch::nn::ModuleList());
  for (int64_t i = 0; i < layers; ++i)
    resnets->push_back(VaeResnetBlock(i == 0 ? in_channels : out_channels, out_channels, groups, options));
  upsamplers = register_module("upsamplers", torch::nn::ModuleList());
  if (upsample) upsamplers->push_back(VaeUpsample(out_channels, options));
}

at::Tensor UpDecoderBlockImpl::forward(at::Tensor x) {
  for (const auto& r : *resnets) {
    cancellation_point();  // a large image's resnet can take seconds
    x = r->as<VaeResnetBlock>()->forward(x);
  }
  for (const auto& u : *upsamplers) x = u->as<VaeUpsample>()->forward(x);
  return x;
}

VaeMidBlockImpl::VaeMidBlockImpl(int64_t channels, int64_t groups, const at::TensorOptions& options) {
  resnets = register_module("resnets", torch::nn::ModuleList(VaeResnetBlock(channels, channels, groups, options),
                                                             VaeResnetBlock(channels, channels, groups, options)));
  attentions = register_module("attentions", torch::nn::ModuleList(VaeAttention(channels, groups, options)));
}

at::Tensor VaeMidBlockImpl::forward(at::Tensor x) {
  cancellation_point();
  x = resnets[0]->as<VaeResnetBlock>()->forward(x);
  x = attentions[0]->as<VaeAttention>()->forward(x);
  return resnets[1]->as<VaeResnetBlock>()->forward(x);
}

}  // namespace sdxl
