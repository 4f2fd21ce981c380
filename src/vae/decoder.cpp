#include "vae/decoder.h"

#include <ATen/record_function.h>

namespace sdxl {

VaeDecoderImpl::VaeDecoderImpl(const VaeConfig& c, const at::TensorOptions& options) {
  // The decoder runs the encoder's widths in reverse: up_blocks.0 is the lowest resolution.
  std::vector<int64_t> ch(c.block_out_channels.rbegin(), c.block_out_channels.rend());
  const int64_t groups = c.norm_num_groups;
  conv_in = register_module("conv_in", conv3x3(c.latent_channels, ch.front(), options));
  mid_block = register_module("mid_block", VaeMidBlock(ch.front(), groups, options));
  up_blocks = register_module("up_blocks", torch::nn::ModuleList());
  for (size_t i = 0; i < ch.size(); ++i) {
    const bool last = i + 1 == ch.size();
    const int64_t in = i == 0 ? ch[0] : ch[i - 1];
    up_blocks->push_back(UpDecoderBlock(in, ch[i], c.layers_per_block + 1, groups, !last, options));
  }
  conv_norm_out = register_module("conv_norm_out", vae_group_norm(groups, ch.back(), options));
  conv_out = register_module("conv_out", conv3x3(ch.back(), c.out_channels, options));
}

at::Tensor VaeDecoderImpl::forward(const at::Tensor& z, VaeActivations* acts) {
  at::Tensor x = conv_in(z);
  if (acts) (*acts)["decoder.conv_in"] = x;
  {
    RECORD_USER_SCOPE("vae.decoder.mid_block");  // a block row of `bench --profile` (no cost without an observer)
    x = mid_block(x);
  }
  if (acts) (*acts)["decoder.mid_block"] = x;
  for (size_t i = 0; i < up_blocks->size(); ++i) {
    RECORD_USER_SCOPE("vae.decoder.up_blocks." + std::to_string(i));
    x = up_blocks[i]->as<UpDecoderBlock>()->forward(x);
    if (acts) (*acts)["decoder.up_blocks." + std::to_string(i)] = x;
  }
  x = conv_norm_out(x);
  return conv_out(at::silu_(x)).contiguous();  // NCHW whatever layout the convolutions used
}

}  // namespace sdxl
