#include "adapters/ip_image_projection.h"

#include "common/error.h"
#include "unet/attention.h"

namespace sdxl {
namespace {

// nn.LayerNorm's default eps, which both projections use.
constexpr double kLayerNormEps = 1e-5;
// The Resampler's attention heads are 64 wide (IP-Adapter's dim_head; diffusers: heads = to_q rows // 64).
constexpr int64_t kResamplerHeadDim = 64;

int64_t rows(const StateDict& sd, const std::string& key, const std::string& what, int dim = 0) {
  auto it = sd.find(key);
  if (it == sd.end()) throw input_error("ip_adapter", what + ": no tensor 'image_proj." + key + "'");
  if (it->second.dim() <= dim) throw input_error("ip_adapter", what + ": 'image_proj." + key + "' has too few dimensions");
  return it->second.size(dim);
}

}  // namespace

ImageProjectionImpl::ImageProjectionImpl(int64_t image_embed_dim, int64_t cross, int64_t tokens,
                                         const at::TensorOptions& options)
    : tokens(tokens) {
  proj = register_module("proj", Linear(image_embed_dim, tokens * cross, true, options));
  norm = register_module("norm", LayerNorm(cross, kLayerNormEps, options));
}

at::Tensor ImageProjectionImpl::forward(const at::Tensor& image_embeds) {
  return norm(proj(image_embeds).reshape({image_embeds.size(0), tokens, -1}));
}

PerceiverLayerImpl::PerceiverLayerImpl(int64_t width, int64_t inner, int64_t ff_inner, const at::TensorOptions& options)
    : heads(inner / kResamplerHeadDim) {
  auto attn = register_module("0", std::make_shared<torch::nn::Module>());
  norm1 = attn->register_module("norm1", LayerNorm(width, kLayerNormEps, options));
  norm2 = attn->register_module("norm2", LayerNorm(width, kLayerNormEps, options));
  to_q = attn->register_module("to_q", Linear(width, inner, false, options));
  to_kv = attn->register_module("to_kv", Linear(width, 2 * inner, false, options));
  to_out = attn->register_module("to_out", Linear(inner, width, false, options));
  // The original nn.Sequential(LayerNorm, Linear, GELU, Linear): weights at 0, 1 and 3.
  auto ff = register_module("1", std::make_shared<torch::nn::Module>());
  ff_norm = ff->register_module("0", LayerNorm(width, kLayerNormEps, options));
  ff_in = ff->register_module("1", Linear(width, ff_inner, false, options));
  ff_out = ff->register_module("3", Linear(ff_inner, width, false, options));
}

at::Tensor PerceiverLayerImpl::forward(const at::Tensor& features, const at::Tensor& latents) {
  const at::Tensor l = norm2(latents);
  auto kv = to_kv(at::cat({norm1(features), l}, -2)).chunk(2, -1);
  at::Tensor x = to_out(multi_head_attention(to_q(l), kv[0].contiguous(), kv[1].contiguous(), heads)) + latents;
  return ff_out(at::gelu(ff_in(ff_norm(x)))) + x;
}

ResamplerImpl::ResamplerImpl(const StateDict& sd, const at::TensorOptions& options, const std::string& what) {
  const int64_t tokens = rows(sd, "latents", what, 1), width = rows(sd, "latents", what, 2);
  latents = register_parameter("latents", at::empty({1, tokens, width}, options), false);
  proj_in = register_module("proj_in", Linear(rows(sd, "proj_in.weight", what, 1), width, true, options));
  const int64_t cross = rows(sd, "proj_out.weight", what);
  proj_out = register_module("proj_out", Linear(width, cross, true, options));
  norm_out = register_module("norm_out", LayerNorm(cross, kLayerNormEps, options));
  auto list = register_module("layers", torch::nn::ModuleList());
  for (int n = 0; sd.count("layers." + std::to_string(n) + ".0.to_q.weight"); ++n) {
    const std::string p = "layers." + std::to_string(n) + ".";
    const int64_t inner = rows(sd, p + "0.to_q.weight", what);
    if (inner % kResamplerHeadDim != 0)
      throw input_error("ip_adapter", what + ": 'image_proj." + p + "0.to_q.weight' has " + std::to_string(inner) +
                                          " rows, not a whole number of 64-wide heads");
    perceiver.emplace_back(width, inner, rows(sd, p + "1.1.weight", what), options);
    list->push_back(perceiver.back());
  }
  if (perceiver.empty()) throw input_error("ip_adapter", what + ": the Resampler has no layers (image_proj.layers.0.*)");
}

at::Tensor ResamplerImpl::forward(const at::Tensor& hidden_states) {
  at::Tensor x = proj_in(hidden_states);
  at::Tensor l = latents.expand({hidden_states.size(0), -1, -1});
  for (auto& layer : perceiver) l = layer(x, l);
  return norm_out(proj_out(l));
}

std::shared_ptr<torch::nn::Module> load_image_projection(const IpAdapterFile& a, const at::TensorOptions& options) {
  const StateDict sd = a.image_proj();
  std::shared_ptr<torch::nn::Module> m;
  if (a.kind == IpAdapterKind::Base)
    m = ImageProjection(a.image_embed_dim, a.cross_attention_dim, a.tokens, options).ptr();
  else
    m = Resampler(sd, options, a.path).ptr();
  load_state_dict(*m, sd, a.path + " image projection");
  m->eval();
  return m;
}

at::Tensor project_image(torch::nn::Module& projection, const at::Tensor& encoder_output) {
  if (auto* base = dynamic_cast<ImageProjectionImpl*>(&projection)) return base->forward(encoder_output);
  return dynamic_cast<ResamplerImpl&>(projection).forward(encoder_output);
}

}  // namespace sdxl
