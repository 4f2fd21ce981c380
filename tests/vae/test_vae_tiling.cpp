// Tiled VAE decoding: tile layout, exact blending for a local decoder, equality with the plain decode when one
// tile covers the latent, and a small, seam-free difference with small tiles on the tiny VAE.
#include <ATen/CPUGeneratorImpl.h>

#include "common/error.h"
#include "tiny_vae.h"
#include "vae/tiled_decode.h"

namespace sdxl {
namespace {

// Bounds of NoFurtherFromThePlainDecodeThanDiffusersTiling. These are differences of algorithm, not float32
// noise, so the margin is 25% over the measurement (tiny VAE, CPU fp32, 2026-12-07):
//   distance to the plain decode, sdxl-gen / diffusers: tile 8 mean 0.102 / 0.126 (ratio 0.81), max 2.15 / 1.95
//   (1.10); tile 16 mean 0.026 / 0.041 (0.64), max 0.39 / 0.58 (0.67);
//   sdxl-gen to diffusers: tile 8 mean 0.055, max 1.05; tile 16 mean 0.030, max 0.53.
constexpr double kTilingMeanVsReference = 1.0, kTilingMaxVsReference = 1.4;
constexpr std::pair<double, double> kTilingDistance8{0.07, 1.3}, kTilingDistance16{0.04, 0.67};

TEST(VaeTiling, TileStartsCoverTheAxis) {
  EXPECT_EQ(tile_starts(12, 64, 16), (std::vector<int64_t>{0}));
  EXPECT_EQ(tile_starts(64, 64, 16), (std::vector<int64_t>{0}));
  EXPECT_EQ(tile_starts(16, 8, 4), (std::vector<int64_t>{0, 4, 8}));
  EXPECT_EQ(tile_starts(24, 8, 4), (std::vector<int64_t>{0, 4, 8, 12, 16}));
  EXPECT_EQ(tile_starts(10, 8, 2), (std::vector<int64_t>{0, 2}));  // last tile moved back to end at 10
  EXPECT_EQ(tile_starts(128, 64, 16), (std::vector<int64_t>{0, 48, 64}));
  EXPECT_THROW(tile_starts(16, 8, 8), Error);
  EXPECT_THROW(tile_starts(16, 0, 0), Error);
}

// With a perfectly local "decoder" (nearest x8) the blend weights form a partition of unity, so tiling is exact.
TEST(VaeTiling, BlendIsExactForALocalDecoder) {
  at::Tensor z = at::randn({1, 3, 13, 21}, at::detail::createCPUGenerator(5));
  auto upsample = [](const at::Tensor& t) { return at::upsample_nearest2d(t, {t.size(2) * 8, t.size(3) * 8}); };
  for (auto [tile, overlap] : {std::pair<int64_t, int64_t>{8, 4}, {6, 1}, {5, 3}, {16, 2}}) {
    at::Tensor tiled = decode_in_tiles(z, VaeTiling{true, tile, overlap}, 8, upsample);
    EXPECT_TRUE(test::AllClose("tile " + std::to_string(tile) + " overlap " + std::to_string(overlap), tiled,
                               upsample(z), 1e-6));
  }
}

TEST(VaeTiling, OneTileEqualsPlainDecodeExactly) {
  c10::InferenceMode guard;
  auto vae = test::tiny_vae();
  at::Tensor latent = test::model_golden().at("vae.dec.latent");  // 12x8
  EXPECT_TRUE(at::equal(vae->decode_tiled(latent, 64, 16), vae->decode(latent)));
  EXPECT_TRUE(at::equal(vae->decode_tiled(latent, 12, 4), vae->decode(latent)));
  EXPECT_TRUE(at::equal(vae->decode(latent, VaeTiling{}), vae->decode(latent)));  // tiling is off by default
}

// Mean |d[i+1] - d[i]| over channels and the other axis, for each boundary i along `dim` (2: rows, 3: columns)
// of the difference image d. A seam is a step in d: a spike of this profile at the seam line.
at::Tensor step_profile(const at::Tensor& d, int64_t dim) {
  at::Tensor steps = (d.slice(dim, 1) - d.slice(dim, 0, -1)).abs();
  return dim == 2 ? steps.mean({0, 1, 3}) : steps.mean({0, 1, 2});
}

// Step at boundary i relative to the mean step of the 8 boundaries around it (~1 where nothing happens).
double seam_ratio(const at::Tensor& profile, int64_t i) {
  double sum = 0;
  int n = 0;
  for (int64_t k = std::max<int64_t>(0, i - 4); k <= std::min<int64_t>(profile.size(0) - 1, i + 4); ++k)
    if (k != i) sum += profile[k].item<double>(), ++n;
  return profile[i].item<double>() / (sum / n);
}

// Largest seam ratio over the boundaries every 16 px (tile edges every 32 px and overlap centres between them).
double max_seam_ratio(const at::Tensor& tiled, const at::Tensor& plain, const std::vector<int64_t>& lines,
                      int64_t dim) {
  at::Tensor profile = step_profile(tiled - plain, dim);
  double worst = 0;
  for (int64_t line : lines) worst = std::max(worst, seam_ratio(profile, line - 1));  // boundary before `line`
  return worst;
}

TEST(VaeTiling, SmallTilesAreCloseToPlainDecodeWithoutSeams) {
  c10::InferenceMode guard;
  auto vae = test::tiny_vae();
  // Latent 16x24 (image 128x192), 8x8 latent tiles with overlap 4: 3 x 5 tiles, tile edges every 32 px.
  at::Tensor latent = at::randn({1, 4, 16, 24}, at::detail::createCPUGenerator(11));
  at::Tensor plain = vae->decode(latent);
  at::Tensor tiled = vae->decode_tiled(latent, 8, 4);
  ASSERT_EQ(tiled.sizes(), plain.sizes());

  // Differences come from per-tile GroupNorm statistics, tile-local mid-block attention and zero padding at
  // tile edges (see vae/tiled_decode.h); the tiny random VAE is very sensitive to them. Bounds = measured + margin.
  at::Tensor diff = (tiled - plain).abs();
  std::printf("[ measured ] tiled 8/4 vs plain: max %.4f mean %.4f (plain image range [%.2f, %.2f])\n",
              diff.max().item<double>(), diff.mean().item<double>(), plain.min().item<double>(),
              plain.max().item<double>());
  EXPECT_LT(diff.max().item<double>(), 1.6);                           // measured 1.34
  EXPECT_LT(diff.mean().item<double>(), 0.11);                         // measured 0.089
  at::Tensor wide = (vae->decode_tiled(latent, 16, 8) - plain).abs();  // 1 x 2 tiles
  std::printf("[ measured ] tiled 16/8 vs plain: max %.4f mean %.4f\n", wide.max().item<double>(),
              wide.mean().item<double>());
  EXPECT_LT(wide.max().item<double>(), 0.5);     // measured 0.39
  EXPECT_LT(wide.mean().item<double>(), 0.035);  // measured 0.026

  // Near tile edges (2 px either side of every 32 px line) the difference is no larger than inside the tiles.
  at::Tensor per_pixel = diff.mean(1)[0];  // [H,W]
  at::Tensor ry = at::arange(per_pixel.size(0)).remainder(32).unsqueeze(1).expand(per_pixel.sizes());
  at::Tensor rx = at::arange(per_pixel.size(1)).remainder(32).unsqueeze(0).expand(per_pixel.sizes());
  at::Tensor edge = (ry <= 1) | (ry >= 30) | (rx <= 1) | (rx >= 30);
  const double edge_mean = per_pixel.masked_select(edge).mean().item<double>();
  const double inner_mean = per_pixel.masked_select(~edge).mean().item<double>();
  std::printf("[ measured ] mean diff near tile edges %.4f, inside tiles %.4f\n", edge_mean, inner_mean);
  EXPECT_LE(edge_mean, 1.05 * inner_mean);

  // No seam: at tile edges and overlap centres the difference has no step (ratio ~1; natural variation <= 1.2).
  const std::vector<int64_t> rows{16, 32, 48, 64, 80, 96, 112}, cols{16, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176};
  const double seam_rows = max_seam_ratio(tiled, plain, rows, 2), seam_cols = max_seam_ratio(tiled, plain, cols, 3);
  std::printf("[ measured ] seam ratio (1 = no step) rows %.2f cols %.2f\n", seam_rows, seam_cols);
  EXPECT_LT(seam_rows, 1.3);
  EXPECT_LT(seam_cols, 1.3);

  // The detector works: the same tiles pasted without blending (hard cuts at the middle of each overlap,
  // i.e. at 48, 80 px rows and 48, 80, 112, 144 px columns) show steps >= 1.4x their surroundings.
  at::Tensor pasted = plain.clone();
  const std::vector<int64_t> tile_rows{0, 4, 8}, tile_cols{0, 4, 8, 12, 16};
  for (size_t r = 0; r < tile_rows.size(); ++r) {
    for (size_t c = 0; c < tile_cols.size(); ++c) {
      at::Tensor tile =
          vae->decode(latent.slice(2, tile_rows[r], tile_rows[r] + 8).slice(3, tile_cols[c], tile_cols[c] + 8));
      const int64_t y0 = r == 0 ? 0 : (tile_rows[r] + 2) * 8,
                    y1 = r + 1 == tile_rows.size() ? 128 : (tile_rows[r] + 6) * 8;
      const int64_t x0 = c == 0 ? 0 : (tile_cols[c] + 2) * 8,
                    x1 = c + 1 == tile_cols.size() ? 192 : (tile_cols[c] + 6) * 8;
      pasted.slice(2, y0, y1).slice(3, x0, x1).copy_(tile.slice(2, y0 - tile_rows[r] * 8, y1 - tile_rows[r] * 8)
                                                         .slice(3, x0 - tile_cols[c] * 8, x1 - tile_cols[c] * 8));
    }
  }
  at::Tensor row_profile = step_profile(pasted - plain, 2), col_profile = step_profile(pasted - plain, 3);
  for (int64_t line : {48, 80}) EXPECT_GT(seam_ratio(row_profile, line - 1), 1.4) << "hard cut at row " << line;
  for (int64_t line : {48, 80, 112, 144})
    EXPECT_GT(seam_ratio(col_profile, line - 1), 1.4) << "hard cut at column " << line;
}

// Against the reference tiling, diffusers' AutoencoderKL.tiled_decode (what enable_tiling() runs;
// tests/vae/data/make_vae_tiling_golden.py) with the same tile and its default overlap factor 0.25, on a 16x24
// latent. sdxl-gen's tiling differs on purpose (vae/tiled_decode.h): its last tile moves back to end at the
// border where diffusers decodes partial tail tiles, and its weights ramp across the whole overlap and are
// normalised where diffusers cross-fades from the tile above/left and then crops. So the two are compared by
// what they approximate: sdxl-gen's tiled decode may be no further from the plain decode than the reference's
// (at most the reference's own mean distance, and its max distance x kTilingMaxVsReference), and the two tilings are within the stated
// distance of each other.
TEST(VaeTiling, NoFurtherFromThePlainDecodeThanDiffusersTiling) {
  c10::InferenceMode guard;
  auto vae = test::tiny_vae();
  const auto golden = test::load_golden_abs(std::string(SDXL_SOURCE_DIR) + "/tests/vae/data/vae_tiling_golden.safetensors");
  const at::Tensor latent = golden.at("latent"), plain = golden.at("plain");
  EXPECT_TRUE(test::AllClose("plain decode", vae->decode(latent), plain, 1e-4));
  for (int64_t tile : {8, 16}) {
    const at::Tensor ours = vae->decode_tiled(latent, tile, tile / 4);
    const at::Tensor theirs = golden.at("tiled_" + std::to_string(tile));
    ASSERT_EQ(ours.sizes(), theirs.sizes());
    const at::Tensor d_ours = (ours - plain).abs(), d_theirs = (theirs - plain).abs(), d = (ours - theirs).abs();
    std::printf("[ measured ] tile %lld: vs plain mean %.4f max %.4f (diffusers mean %.4f max %.4f); vs diffusers "
                "mean %.4f max %.4f\n",
                static_cast<long long>(tile), d_ours.mean().item<double>(), d_ours.max().item<double>(),
                d_theirs.mean().item<double>(), d_theirs.max().item<double>(), d.mean().item<double>(),
                d.max().item<double>());
    const std::string what = "tile " + std::to_string(tile) + " overlap " + std::to_string(tile / 4);
    EXPECT_LE(d_ours.mean().item<double>(), kTilingMeanVsReference * d_theirs.mean().item<double>()) << what;
    EXPECT_LE(d_ours.max().item<double>(), kTilingMaxVsReference * d_theirs.max().item<double>()) << what;
    const auto& bound = tile == 8 ? kTilingDistance8 : kTilingDistance16;
    EXPECT_LE(d.mean().item<double>(), bound.first) << what << ": mean distance to diffusers' tiling";
    EXPECT_LE(d.max().item<double>(), bound.second) << what << ": max distance to diffusers' tiling";
  }
}

}  // namespace
}  // namespace sdxl
