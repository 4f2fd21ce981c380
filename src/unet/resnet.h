// diffusers ResnetBlock2D as used in the SDXL UNet (time_embedding_norm "default", output scale 1):
// h = conv1(silu(norm1(x))) + time_emb_proj(silu(emb))[:, :, None, None]
// out = shortcut(x) + conv2(silu(norm2(h))),  shortcut = 1x1 conv_shortcut when channels change, else identity.
#pragma once
#include <torch/torch.h>

#include "common/layers.h"

namespace sdxl {

struct ResnetBlock2DImpl : torch::nn::Module {
  ResnetBlock2DImpl(int64_t in_channels, int64_t out_channels, int64_t temb_channels, int64_t groups, double eps,
                    const at::TensorOptions& options);
  // x [B, in, H, W]; emb_act = silu(emb) [B, temb_channels] (computed once per UNet call, not per block).
  at::Tensor forward(const at::Tensor& x, const at::Tensor& emb_act);

  GroupNorm norm1{nullptr}, norm2{nullptr};
  Conv2d conv1{nullptr}, conv2{nullptr}, conv_shortcut{nullptr};
  Linear time_emb_proj{nullptr};
};
TORCH_MODULE(ResnetBlock2D);

}  // namespace sdxl
