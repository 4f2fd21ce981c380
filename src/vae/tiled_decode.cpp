#include "vae/tiled_decode.h"

#include "common/cancellation.h"
#include "common/error.h"
#include "vae/autoencoder.h"

namespace sdxl {
namespace {

// Blend weight along one axis for the tile at starts[k] (length `tile` latent px), in image pixels.
at::Tensor axis_weight(const std::vector<int64_t>& starts, size_t k, int64_t tile, int64_t downscale,
                       const at::TensorOptions& options) {
  const int64_t n = tile * downscale;
  at::Tensor pos = at::arange(n, options) + 0.5;  // pixel centres
  at::Tensor w = at::ones({n}, options);
  if (k > 0) {  // ramp up across the overlap with the previous tile
    const double shared = static_cast<double>((starts[k - 1] + tile - starts[k]) * downscale);
    w = at::minimum(w, pos / shared);
  }
  if (k + 1 < starts.size()) {  // ramp down across the overlap with the next tile
    const double shared = static_cast<double>((starts[k] + tile - starts[k + 1]) * downscale);
    w = at::minimum(w, (static_cast<double>(n) - pos) / shared);
  }
  return w;
}

}  // namespace

std::vector<int64_t> tile_starts(int64_t length, int64_t tile, int64_t overlap) {
  if (tile <= 0 || overlap < 0 || overlap >= tile)
    throw Error(ErrorCategory::Input, "", "VAE tiling: need tile_latent > overlap_latent >= 0, got tile " + std::to_string(tile) + " overlap " +
                std::to_string(overlap));
  if (length <= tile) return {0};
  std::vector<int64_t> starts;
  for (int64_t s = 0;; s += tile - overlap) {
    if (s + tile >= length) {
      starts.push_back(length - tile);
      break;
    }
    starts.push_back(s);
  }
  return starts;
}

at::Tensor decode_in_tiles(const at::Tensor& z, const VaeTiling& tiling, int64_t downscale,
                           const std::function<at::Tensor(const at::Tensor&)>& decode_tile) {
  const int64_t h = z.size(2), w = z.size(3);
  const int64_t tile_h = std::min(tiling.tile_latent, h), tile_w = std::min(tiling.tile_latent, w);
  const auto rows = tile_starts(h, tiling.tile_latent, tiling.overlap_latent);
  const auto cols = tile_starts(w, tiling.tile_latent, tiling.overlap_latent);
  if (rows.size() == 1 && cols.size() == 1) return decode_tile(z);

  at::Tensor sum, weight_sum;
  for (size_t r = 0; r < rows.size(); ++r) {
    for (size_t c = 0; c < cols.size(); ++c) {
      cancellation_point();
      at::Tensor tile = decode_tile(z.slice(2, rows[r], rows[r] + tile_h).slice(3, cols[c], cols[c] + tile_w));
      if (!sum.defined()) {
        sum = at::zeros({1, tile.size(1), h * downscale, w * downscale}, tile.options());
        weight_sum = at::zeros({h * downscale, w * downscale}, tile.options());
      }
      at::Tensor weight = axis_weight(rows, r, tile_h, downscale, tile.options()).unsqueeze(1) *
                          axis_weight(cols, c, tile_w, downscale, tile.options()).unsqueeze(0);
      const int64_t y = rows[r] * downscale, x = cols[c] * downscale;
      sum.slice(2, y, y + tile.size(2)).slice(3, x, x + tile.size(3)).add_(tile * weight);
      weight_sum.slice(0, y, y + tile.size(2)).slice(1, x, x + tile.size(3)).add_(weight);
    }
  }
  return sum / weight_sum;
}

}  // namespace sdxl
