#include "unet/down_block.h"

#include "common/cancellation.h"

namespace sdxl {

DownBlockImpl::DownBlockImpl(int64_t in_channels, int64_t out_channels, int64_t num_layers,
                             const BlockAttention& attention, bool add_downsample, int64_t downsample_padding,
                             const BlockSettings& s) {
  auto resnets = register_module("resnets", torch::nn::ModuleList());
  for (int64_t i = 0; i < num_layers; ++i) {
    resnet_list.emplace_back(i == 0 ? in_channels : out_channels, out_channels, s.temb_channels, s.groups, s.eps,
                             s.options);
    resnets->push_back(resnet_list.back());
  }
  attention_list = register_attentions(*this, num_layers, out_channels, attention, s);
  if (add_downsample) {
    downsampler = Downsample2D(out_channels, downsample_padding, s.options);
    register_module("downsamplers", torch::nn::ModuleList(downsampler));
  }
}

at::Tensor DownBlockImpl::forward(at::Tensor x, const at::Tensor& emb_act, const at::Tensor& context,
                                  std::vector<at::Tensor>& skips, Activations* acts, const std::string& name,
                                  const at::Tensor& additional_residual) {
  for (size_t i = 0; i < resnet_list.size(); ++i) {
    cancellation_point();  // a large image's block can take seconds
    x = resnet_list[i](x, emb_act);
    record(acts, name + ".resnets." + std::to_string(i), x);
    if (!attention_list.empty()) {
      x = attention_list[i](x, context);
      record(acts, name + ".attentions." + std::to_string(i), x);
    }
    if (additional_residual.defined() && i + 1 == resnet_list.size()) x = x + additional_residual;
    skips.push_back(x);
  }
  if (downsampler) {
    x = downsampler(x);
    record(acts, name + ".downsamplers.0", x);
    skips.push_back(x);
  }
  return x;
}

}  // namespace sdxl
