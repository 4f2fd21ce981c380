// An IP-Adapter file (Ye et al. 2023, "IP-Adapter: Text Compatible Image Prompt Adapter"), read and
// classified from its tensor names without loading the weights: `image_proj.*` (the image projection) and
// `ip_adapter.N.to_k_ip.weight` / `ip_adapter.N.to_v_ip.weight` (the decoupled cross-attention's keys and
// values). The original files number every attention processor of the UNet, so the cross-attention ones
// carry the odd N (1, 3, 5, ...), in diffusers' attn_processors order.
#pragma once
#include <array>
#include <memory>
#include <string>
#include <vector>

#include "common/enum_table.h"
#include "io/safetensors.h"
#include "weights/state_dict.h"

namespace sdxl {

// Base (ip-adapter_sdxl, ip-adapter_sdxl_vit-h: proj + LayerNorm on the encoder's image_embeds) or Plus
// (ip-adapter-plus(-face)_sdxl_vit-h: a Resampler on the encoder's penultimate hidden states).
enum class IpAdapterKind { Base, Plus };
inline constexpr std::array<EnumName<IpAdapterKind>, 2> kIpAdapterKindNames{{
    {IpAdapterKind::Base, "base"}, {IpAdapterKind::Plus, "plus"}}};
static_assert(table_complete(kIpAdapterKindNames, IpAdapterKind::Plus));

struct IpAdapterFile {
  std::string path;
  IpAdapterKind kind = IpAdapterKind::Base;
  std::shared_ptr<io::SafetensorsFile> file;
  // Sizes, every one from the tensors: the encoder output it takes (base: image_embeds width = projection_dim;
  // Plus: hidden width), the width of its tokens (= the UNet's cross_attention_dim), and their count.
  int64_t image_embed_dim = 0, cross_attention_dim = 0, tokens = 0;
  // ip_adapter key ids in order (1, 3, 5, ...) and each layer's to_k_ip output width (the attn2 inner width).
  std::vector<int> layer_ids;
  std::vector<int64_t> layer_widths;

  bool uses_hidden_states() const { return kind == IpAdapterKind::Plus; }
  StateDict image_proj() const;                 // image_proj.* without the prefix
  at::Tensor to_k_ip(size_t layer) const;       // [inner, cross_attention_dim]
  at::Tensor to_v_ip(size_t layer) const;
};

// Throws an input sdxl::Error (field "ip_adapter") naming the file for an unreadable file, a file that is not an
// IP-Adapter, an unsupported variant (IP-Adapter Full / FaceID) or inconsistent shapes.
IpAdapterFile read_ip_adapter(const std::string& path);

}  // namespace sdxl
