#include "unet/embeddings.h"

#include "common/error.h"

#include <cmath>

namespace sdxl {

at::Tensor timestep_embedding(const at::Tensor& t, int64_t dim, bool flip_sin_to_cos, double shift,
                              double max_period) {
  if (t.dim() != 1) throw Error(ErrorCategory::Input, "", "timestep_embedding: expected a 1-D tensor of values, got " + std::to_string(t.dim()) + "-D");
  if (dim < 2) throw Error(ErrorCategory::Input, "", "timestep_embedding: dim must be >= 2, got " + std::to_string(dim));
  const int64_t half = dim / 2;
  // Same float32 op sequence as the reference, so results match it to the last bits.
  at::Tensor exponent = at::arange(half, t.options().dtype(at::kFloat)) * (-std::log(max_period));
  at::Tensor freqs = at::exp(exponent / (static_cast<double>(half) - shift));
  at::Tensor args = t.to(at::kFloat).unsqueeze(1) * freqs.unsqueeze(0);
  at::Tensor emb = flip_sin_to_cos ? at::cat({at::cos(args), at::sin(args)}, 1) : at::cat({at::sin(args), at::cos(args)}, 1);
  if (dim % 2 == 1) emb = at::constant_pad_nd(emb, {0, 1});
  return emb;
}

TimestepEmbeddingImpl::TimestepEmbeddingImpl(int64_t in_features, int64_t out_features,
                                             const at::TensorOptions& options) {
  linear_1 = register_module("linear_1", Linear(in_features, out_features, true, options));
  linear_2 = register_module("linear_2", Linear(out_features, out_features, true, options));
}

at::Tensor TimestepEmbeddingImpl::forward(const at::Tensor& x) {
  at::Tensor h = linear_1(x);
  return linear_2(at::silu_(h));
}

}  // namespace sdxl
