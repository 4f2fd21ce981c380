#include "unet/block_settings.h"

namespace sdxl {

std::vector<Transformer2DModel> register_attentions(torch::nn::Module& block, int64_t count, int64_t channels,
                                                    const BlockAttention& a, const BlockSettings& s) {
  std::vector<Transformer2DModel> out;
  if (!a.enabled) return out;
  auto list = block.register_module("attentions", torch::nn::ModuleList());
  for (int64_t i = 0; i < count; ++i) {
    out.emplace_back(channels, a.heads, a.depth, s.context_dim, s.groups, s.use_linear_projection, s.options);
    list->push_back(out.back());
  }
  return out;
}

}  // namespace sdxl
