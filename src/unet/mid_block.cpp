#include "unet/mid_block.h"

namespace sdxl {

MidBlockImpl::MidBlockImpl(int64_t channels, const BlockAttention& a, const BlockSettings& s) {
  resnet_0 = ResnetBlock2D(channels, channels, s.temb_channels, s.groups, s.eps, s.options);
  resnet_1 = ResnetBlock2D(channels, channels, s.temb_channels, s.groups, s.eps, s.options);
  attention = Transformer2DModel(channels, a.heads, a.depth, s.context_dim, s.groups, s.use_linear_projection, s.options);
  register_module("resnets", torch::nn::ModuleList(resnet_0, resnet_1));
  register_module("attentions", torch::nn::ModuleList(attention));
}

at::Tensor MidBlockImpl::forward(at::Tensor x, const at::Tensor& emb_act, const at::Tensor& context,
                                 Activations* acts, const std::string& name) {
  x = resnet_0(x, emb_act);
  record(acts, name + ".resnets.0", x);
  x = attention(x, context);
  record(acts, name + ".attentions.0", x);
  x = resnet_1(x, emb_act);
  record(acts, name + ".resnets.1", x);
  return x;
}

}  // namespace sdxl
