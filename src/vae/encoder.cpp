#include "vae/encoder.h"

namespace sdxl {

VaeEncoderImpl::VaeEncoderImpl(const VaeConfig& c, const at::TensorOptions& options) {
  const auto& ch = c.block_out_channels;
  const int64_t groups = c.norm_num_groups;
  conv_in = register_module("conv_in", conv3x3(c.in_channels, ch.front(), options));
  down_blocks = register_module("down_blocks", torch::nn::ModuleList());
  for (size_t i = 0; i < ch.size(); ++i) {
    const bool last = i + 1 == ch.size();
    const int64_t in = i == 0 ? ch[0] : ch[i - 1];
    down_blocks->push_back(DownEncoderBlock(in, ch[i], c.layers_per_block, groups, !last, options));
  }
  mid_block = register_module("mid_block", VaeMidBlock(ch.back(), groups, options));
  conv_norm_out = register_module("conv_norm_out", vae_group_norm(groups, ch.back(), options));
  // double_z: mean and log-variance channels.
  conv_out = register_module("conv_out", conv3x3(ch.back(), 2 * c.latent_channels, options));
}

at::Tensor VaeEncoderImpl::forward(const at::Tensor& image, VaeActivations* acts) {
  at::Tensor x = conv_in(image);
  for (size_t i = 0; i < down_blocks->size(); ++i) {
    x = down_blocks[i]->as<DownEncoderBlock>()->forward(x);
    if (acts) (*acts)["encoder.down_blocks." + std::to_string(i)] = x;
  }
  x = mid_block(x);
  if (acts) (*acts)["encoder.mid_block"] = x;
  x = conv_out(at::silu(conv_norm_out(x)));
  if (acts) (*acts)["encoder.conv_out"] = x;
  return x;
}

}  // namespace sdxl
