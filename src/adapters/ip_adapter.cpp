#include "adapters/ip_adapter.h"

#include <filesystem>

#include "adapters/ip_image_projection.h"
#include "common/error.h"
#include "vision/image_encoder_file.h"

namespace fs = std::filesystem;

namespace sdxl {

std::vector<CrossAttentionShape> cross_attention_shapes(UNet2DConditionModelImpl& unet) {
  std::vector<CrossAttentionShape> out;
  for (const auto& layer : unet.cross_attention_layers())
    out.push_back({layer->to_k->weight.size(0), layer->to_k->weight.size(1)});
  return out;
}

void check_adapter_fits_unet(const IpAdapterFile& a, const std::vector<CrossAttentionShape>& unet,
                             const std::string& model) {
  auto fail = [&](const std::string& why) {
    throw usage_error("ip_adapter", a.path + " does not fit the UNet of " + model + ": " + why +
                                        " (an IP-Adapter for another model family, e.g. SD 1.5?)");
  };
  if (a.layer_ids.size() != unet.size())
    fail("it has " + std::to_string(a.layer_ids.size()) + " cross-attention layers, the UNet " + std::to_string(unet.size()));
  for (size_t i = 0; i < unet.size(); ++i)
    if (a.layer_widths[i] != unet[i].inner || a.cross_attention_dim != unet[i].context)
      fail("layer ip_adapter." + std::to_string(a.layer_ids[i]) + " maps " + std::to_string(a.cross_attention_dim) +
           "-wide tokens to " + std::to_string(a.layer_widths[i]) + ", the UNet's layer " + std::to_string(i) +
           " takes " + std::to_string(unet[i].context) + " to " + std::to_string(unet[i].inner));
}

void check_adapter_fits_encoder(const IpAdapterFile& a, const CLIPVisionConfig& e, const std::string& encoder_path) {
  const int64_t gives = a.uses_hidden_states() ? e.hidden_size : e.projection_dim;
  if (gives != a.image_embed_dim)
    throw usage_error("ip_adapter", a.path + " (" + enum_name(kIpAdapterKindNames, a.kind) + ") takes " +
                                        std::to_string(a.image_embed_dim) + "-wide image " +
                                        (a.uses_hidden_states() ? "hidden states" : "embeddings") + ", the image encoder " +
                                        encoder_path + " gives " + std::to_string(gives) +
                                        " (ip-adapter_sdxl needs ViT-bigG/14, the _vit-h and Plus files ViT-H/14)");
}

std::string find_image_encoder(const IpAdapterFile& a) {
  const fs::path dir = fs::path(a.path).parent_path();
  const std::vector<fs::path> candidates = {dir / "image_encoder", dir / ".." / "models" / "image_encoder",
                                            dir / ".." / "image_encoder"};
  std::string looked;
  for (const auto& c : candidates) {
    const std::string path = c.lexically_normal().string();
    looked += (looked.empty() ? "" : "; ") + path;
    if (!looks_like_image_encoder(path)) {
      looked += " (none)";
      continue;
    }
    try {
      check_adapter_fits_encoder(a, open_image_encoder(path).config, path);
      return path;
    } catch (const Error& e) {
      looked += std::string(" (") + e.what() + ")";
    }
  }
  throw input_error("image_encoder", "no image encoder for " + a.path + ": looked in " + looked +
                                         "; give one with --image-encoder (a transformers image_encoder folder or a "
                                         "CLIP vision .safetensors)");
}

IpAdapter::IpAdapter(IpAdapterFile file, const at::TensorOptions& options) : file_(std::move(file)) {
  projection_ = load_image_projection(file_, options);
  for (size_t i = 0; i < file_.layer_ids.size(); ++i) {
    to_k_.push_back(file_.to_k_ip(i).to(options));
    to_v_.push_back(file_.to_v_ip(i).to(options));
  }
}

at::Tensor IpAdapter::project(const CLIPVisionOutput& encoded) {
  const at::Tensor& input = file_.uses_hidden_states() ? encoded.penultimate : encoded.image_embeds;
  const auto& p = to_k_.front();
  return project_image(*projection_, input.to(p.device(), p.scalar_type()));
}

ImagePromptAttention IpAdapter::attention(const at::Tensor& tokens, double scale) const {
  ImagePromptAttention a;
  a.scale = scale;
  for (size_t i = 0; i < to_k_.size(); ++i) {
    a.keys.push_back(at::linear(tokens, to_k_[i]));
    a.values.push_back(at::linear(tokens, to_v_[i]));
  }
  return a;
}

}  // namespace sdxl
