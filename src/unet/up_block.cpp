#include "unet/up_block.h"

#include "common/cancellation.h"
#include "common/error.h"

namespace sdxl {

UpBlockImpl::UpBlockImpl(int64_t in_channels, int64_t prev_channels, int64_t out_channels, int64_t num_layers,
                         const BlockAttention& attention, bool add_upsample, const BlockSettings& s) {
  auto resnets = register_module("resnets", torch::nn::ModuleList());
  for (int64_t i = 0; i < num_layers; ++i) {
    const int64_t skip_channels = i == num_layers - 1 ? in_channels : out_channels;
    const int64_t running_channels = i == 0 ? prev_channels : out_channels;
    resnet_list.emplace_back(running_channels + skip_channels, out_channels, s.temb_channels, s.groups, s.eps,
                             s.options);
    resnets->push_back(resnet_list.back());
  }
  attention_list = register_attentions(*this, num_layers, out_channels, attention, s);
  if (add_upsample) {
    upsampler = Upsample2D(out_channels, s.options);
    register_module("upsamplers", torch::nn::ModuleList(upsampler));
  }
}

at::Tensor UpBlockImpl::forward(at::Tensor x, const at::Tensor& emb_act, const at::Tensor& context,
                                std::vector<at::Tensor>& skips, Activations* acts, const std::string& name) {
  for (size_t i = 0; i < resnet_list.size(); ++i) {
    if (skips.empty()) throw Error(ErrorCategory::Input, "", name + ": no skip connection left for resnet " + std::to_string(i));
    cancellation_point();  // a large image's block can take seconds
    x = at::cat({x, skips.back()}, 1);
    skips.pop_back();
    x = resnet_list[i](x, emb_act);
    record(acts, name + ".resnets." + std::to_string(i), x);
    if (!attention_list.empty()) {
      x = attention_list[i](x, context);
      record(acts, name + ".attentions." + std::to_string(i), x);
    }
  }
  if (upsampler) {
    std::vector<int64_t> size = skips.empty() ? std::vector<int64_t>{2 * x.size(2), 2 * x.size(3)}
                                              : std::vector<int64_t>{skips.back().size(2), skips.back().size(3)};
    x = upsampler(x, size);
    record(acts, name + ".upsamplers.0", x);
  }
  return x;
}

}  // namespace sdxl
