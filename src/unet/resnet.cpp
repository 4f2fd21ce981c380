#include "unet/resnet.h"

namespace sdxl {

ResnetBlock2DImpl::ResnetBlock2DImpl(int64_t in_channels, int64_t out_channels, int64_t temb_channels, int64_t groups,
                                     double eps, const at::TensorOptions& options) {
  norm1 = register_module("norm1", GroupNorm(groups, in_channels, eps, options));
  conv1 = register_module("conv1", Conv2d(in_channels, out_channels, 3, 1, 1, options));
  time_emb_proj = register_module("time_emb_proj", Linear(temb_channels, out_channels, true, options));
  norm2 = register_module("norm2", GroupNorm(groups, out_channels, eps, options));
  conv2 = register_module("conv2", Conv2d(out_channels, out_channels, 3, 1, 1, options));
  if (in_channels != out_channels)
    conv_shortcut = register_module("conv_shortcut", Conv2d(in_channels, out_channels, 1, 1, 0, options));
}

at::Tensor ResnetBlock2DImpl::forward(const at::Tensor& x, const at::Tensor& emb_act) {
  at::Tensor h = norm1(x);
  h = conv1(at::silu_(h));
  h.add_(time_emb_proj(emb_act).unsqueeze(-1).unsqueeze(-1));
  h = norm2(h);
  h = conv2(at::silu_(h));
  return h.add_(conv_shortcut ? conv_shortcut(x) : x);
}

}  // namespace sdxl
