// What steers one UNet call besides the text: residuals from control models and image-prompt tokens.
// An empty UNetExtras (or a null pointer) is the plain model. The control stage (ControlNet: diffusers'
// down_block_additional_residuals / mid_block_additional_residual; T2I-Adapter:
// down_intrablock_additional_residuals) and the image-prompt stage (IP-Adapter's decoupled cross-attention)
// each fill their own fields; the UNet only adds what it is given, as diffusers' UNet2DConditionModel.forward.
#pragma once
#include <ATen/ATen.h>

#include <vector>

namespace sdxl {

// One IP-Adapter's decoupled cross-attention (Ye et al. 2023; diffusers IPAdapterAttnProcessor2_0): every
// cross-attention layer (attn2) adds scale * attention(q, keys[i], values[i]) to its text attention. keys[i] /
// values[i] are the adapter's to_k_ip / to_v_ip applied to its image tokens, [B, T, inner] with the batch laid
// out as the UNet call's ([negative; positive] with guidance); i runs over the UNet's attn2 layers in diffusers'
// attn_processors order (UNet2DConditionModelImpl::cross_attention_layers). They are computed once per
// generation: the tokens do not change between steps.
struct ImagePromptAttention {
  double scale = 1.0;
  std::vector<at::Tensor> keys, values;
};

struct UNetExtras {
  // ControlNet: one residual per skip connection (conv_in, then each down-block output), added to the skips
  // before the up blocks, and one added to the mid block's output. Already multiplied by their scales.
  std::vector<at::Tensor> down_residuals;
  at::Tensor mid_residual;
  // T2I-Adapter: added to the hidden states inside the down blocks (after each block's last resnet/attention,
  // as diffusers' down_intrablock_additional_residuals), consumed in order.
  std::vector<at::Tensor> intrablock_residuals;

  // IP-Adapter: one entry per adapter, their terms summed in each attn2.
  std::vector<ImagePromptAttention> image_prompts;

  bool empty() const {
    return down_residuals.empty() && !mid_residual.defined() && intrablock_residuals.empty() && image_prompts.empty();
  }
};

}  // namespace sdxl
