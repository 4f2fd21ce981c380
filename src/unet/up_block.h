// UNet decoder block: diffusers UpBlock2D and CrossAttnUpBlock2D. Each resnet takes the running features
// concatenated (channel dim) with the most recent unused skip connection; an optional upsampler follows.
#pragma once
#include <torch/torch.h>

#include "unet/activations.h"
#include "unet/block_settings.h"
#include "unet/resampling.h"
#include "unet/resnet.h"
#include "unet/transformer.h"

namespace sdxl {

struct UpBlockImpl : torch::nn::Module {
  // prev_channels: width arriving from the block below; skip_channels(i): widths of the skips consumed,
  // last-in first-out (diffusers: the last resnet's skip has the next level's width `in_channels`).
  UpBlockImpl(int64_t in_channels, int64_t prev_channels, int64_t out_channels, int64_t num_layers,
              const BlockAttention& attention, bool add_upsample, const BlockSettings& settings);
  // Pops one skip per resnet from the back of `skips`. The upsampler resizes to the spatial size of the
  // skip that is then last in `skips` (what the next up block concatenates first), like diffusers'
  // `upsample_size`; with no skip left it doubles the size.
  at::Tensor forward(at::Tensor x, const at::Tensor& emb_act, const at::Tensor& context, std::vector<at::Tensor>& skips,
                     Activations* acts, const std::string& name);

  std::vector<ResnetBlock2D> resnet_list;
  std::vector<Transformer2DModel> attention_list;  // empty for UpBlock2D
  Upsample2D upsampler{nullptr};
};
TORCH_MODULE(UpBlock);

}  // namespace sdxl
