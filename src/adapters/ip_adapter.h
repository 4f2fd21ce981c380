// A loaded IP-Adapter: its image projection and its per-layer to_k_ip / to_v_ip weights, checked against
// the UNet it steers and the image encoder that feeds it; and where its image encoder is found.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "adapters/ip_adapter_file.h"
#include "unet/unet.h"
#include "vision/clip_vision_config.h"
#include "vision/clip_vision_model.h"

namespace sdxl {

// Widths of one attn2 layer: its to_k output (inner) and input (context) widths.
struct CrossAttentionShape {
  int64_t inner = 0, context = 0;
};
// The UNet's attn2 layers in binding order (UNet2DConditionModelImpl::cross_attention_layers). Works on a
// meta-device UNet, so an adapter can be checked before any weight is loaded.
std::vector<CrossAttentionShape> cross_attention_shapes(UNet2DConditionModelImpl& unet);

// Usage errors (field "ip_adapter") naming the adapter and the model / encoder, e.g. an SD 1.5 adapter
// (16 layers taking 768-wide tokens) against SDXL (70 layers, 2048).
void check_adapter_fits_unet(const IpAdapterFile& adapter, const std::vector<CrossAttentionShape>& unet,
                             const std::string& model);
void check_adapter_fits_encoder(const IpAdapterFile& adapter, const CLIPVisionConfig& encoder,
                                const std::string& encoder_path);

// Without --image-encoder: the folder beside the adapter file that the official repository layout puts
// there (h94/IP-Adapter: sdxl_models/image_encoder/ is ViT-bigG for ip-adapter_sdxl; models/image_encoder/,
// i.e. ../models/image_encoder/ from sdxl_models/, is ViT-H for the _vit-h and Plus files), the first one
// whose config fits the adapter. Throws an input error listing every place looked at and why each failed.
std::string find_image_encoder(const IpAdapterFile& adapter);

class IpAdapter {
 public:
  // Loads the projection and the layer weights on `options`' device and dtype.
  IpAdapter(IpAdapterFile file, const at::TensorOptions& options);
  const IpAdapterFile& file() const { return file_; }
  // Image tokens [B, T, cross] from the encoder output this adapter takes (base: image_embeds, Plus: the
  // penultimate hidden states).
  at::Tensor project(const CLIPVisionOutput& encoded);
  // to_k_ip / to_v_ip of every layer applied to `tokens` (already laid out as the UNet's batch).
  ImagePromptAttention attention(const at::Tensor& tokens, double scale) const;

 private:
  IpAdapterFile file_;
  std::shared_ptr<torch::nn::Module> projection_;
  std::vector<at::Tensor> to_k_, to_v_;
};

}  // namespace sdxl
