// Golden-image comparison: identical, one level changed, different sizes, and the visual diff.
#include <cmath>

#include "common/error.h"
#include "io/image_compare.h"
#include "test_util.h"

namespace sdxl {
namespace {

using io::Image;

Image gradient(int w, int h) {
  Image im{w, h, std::vector<uint8_t>(size_t(w) * h * 3)};
  for (size_t i = 0; i < im.rgb.size(); ++i) im.rgb[i] = uint8_t(i * 7);
  return im;
}

TEST(ImageCompare, IdenticalImages) {
  const Image a = gradient(64, 96);
  const io::CompareResult r = io::compare_images(a, a);
  EXPECT_TRUE(r.same_size);
  EXPECT_EQ(r.max_abs_diff, 0);
  EXPECT_EQ(r.mean_abs_diff, 0.0);
  EXPECT_TRUE(std::isinf(r.psnr_db) && r.psnr_db > 0);
  EXPECT_EQ(r.differing_pixels, 0);
}

TEST(ImageCompare, OneLevelInOneChannel) {
  const Image a = gradient(64, 96);
  Image b = a;
  b.rgb[(10 * 64 + 5) * 3 + 1] ^= 1;  // pixel (y=10, x=5), green, +-1
  const io::CompareResult r = io::compare_images(a, b);
  EXPECT_TRUE(r.same_size);
  EXPECT_EQ(r.max_abs_diff, 1);
  EXPECT_EQ(r.differing_pixels, 1);
  const double values = 64.0 * 96 * 3;
  EXPECT_DOUBLE_EQ(r.mean_abs_diff, 1.0 / values);
  EXPECT_NEAR(r.psnr_db, 10 * std::log10(255.0 * 255.0 * values), 1e-9);  // MSE = 1 / values
}

TEST(ImageCompare, KnownDifferences) {
  Image a{2, 1, {0, 0, 0, 100, 100, 100}};
  Image b{2, 1, {10, 0, 0, 100, 100, 90}};
  const io::CompareResult r = io::compare_images(a, b);
  EXPECT_EQ(r.max_abs_diff, 10);
  EXPECT_EQ(r.differing_pixels, 2);
  EXPECT_DOUBLE_EQ(r.mean_abs_diff, 20.0 / 6);
  EXPECT_NEAR(r.psnr_db, 10 * std::log10(255.0 * 255.0 / (200.0 / 6)), 1e-9);
  // Symmetric.
  const io::CompareResult back = io::compare_images(b, a);
  EXPECT_EQ(back.max_abs_diff, r.max_abs_diff);
  EXPECT_EQ(back.psnr_db, r.psnr_db);
}

TEST(ImageCompare, DifferentSizesReportWorstValues) {
  const io::CompareResult r = io::compare_images(gradient(64, 96), gradient(96, 64));
  EXPECT_FALSE(r.same_size);
  EXPECT_EQ(r.max_abs_diff, 255);
  EXPECT_EQ(r.psnr_db, 0.0);
  EXPECT_EQ(r.differing_pixels, 64 * 96);
  EXPECT_THROW(io::diff_image(gradient(64, 96), gradient(96, 64)), Error);
}

TEST(ImageCompare, DiffImageMarksChangedPixelsInRed) {
  const Image a = gradient(8, 4);
  Image b = a;
  b.rgb[(2 * 8 + 3) * 3 + 0] ^= 1;   // one level
  b.rgb[(1 * 8 + 6) * 3 + 2] = uint8_t(b.rgb[(1 * 8 + 6) * 3 + 2] + 100);  // large
  const Image d = io::diff_image(a, b);
  ASSERT_EQ(d.width, 8);
  ASSERT_EQ(d.height, 4);
  auto px = [&](int y, int x, int c) { return int(d.rgb[(y * 8 + x) * 3 + c]); };
  EXPECT_EQ(px(2, 3, 0), 128);
  EXPECT_EQ(px(1, 6, 0), 255);
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 8; ++x) {
      const bool changed = (y == 2 && x == 3) || (y == 1 && x == 6);
      if (changed) {
        EXPECT_EQ(px(y, x, 1), 0);
        EXPECT_EQ(px(y, x, 2), 0);
      } else {  // dim grey, never mistaken for a change
        EXPECT_EQ(px(y, x, 0), px(y, x, 1));
        EXPECT_EQ(px(y, x, 1), px(y, x, 2));
        EXPECT_LE(px(y, x, 0), 63);
      }
    }
}

}  // namespace
}  // namespace sdxl
