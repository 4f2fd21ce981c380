#include "vae/blocks.h"

#include "common/cancellation.h"

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

at::Tensor VaeUpsampleImpl::forward(const at::Tensor& x) {
  return conv(at::upsample_nearest2d(x, {x.size(2) * 2, x.size(3) * 2}));
}

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
