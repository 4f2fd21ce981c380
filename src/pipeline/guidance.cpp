#include "pipeline/guidance.h"

namespace sdxl {

at::Tensor apply_cfg(const at::Tensor& eps_batch, double cfg) {
  auto halves = eps_batch.chunk(2, 0);
  return halves[0] + cfg * (halves[1] - halves[0]);
}

at::Tensor rescale_cfg(const at::Tensor& guided, const at::Tensor& eps_pos, double phi) {
  std::vector<int64_t> dims;
  for (int64_t d = 1; d < guided.dim(); ++d) dims.push_back(d);
  // torch.std defaults to the unbiased estimator (correction 1), as the reference uses.
  auto std_pos = eps_pos.std(dims, /*unbiased=*/true, /*keepdim=*/true);
  auto std_cfg = guided.std(dims, /*unbiased=*/true, /*keepdim=*/true);
  auto rescaled = guided * (std_pos / std_cfg);
  return phi * rescaled + (1.0 - phi) * guided;
}

}  // namespace sdxl
