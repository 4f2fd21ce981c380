#include "pipeline/aspect_buckets.h"

#include <cmath>

namespace sdxl {

const std::vector<Size>& sdxl_buckets() {
  // (height, width); every side a multiple of 64, about one megapixel each.
  static const std::vector<Size> buckets = {
      {1408, 704}, {1344, 704}, {1344, 768}, {1280, 768}, {1216, 832}, {1152, 832}, {1152, 896},
      {1088, 896}, {1088, 960}, {1024, 960}, {1024, 1024}, {960, 1024}, {960, 1088}, {896, 1088},
      {896, 1152}, {832, 1152}, {832, 1216}, {768, 1280}, {768, 1344}, {704, 1344}, {704, 1408},
      {704, 1472}, {640, 1536}, {640, 1600}, {576, 1664}, {576, 1728}};
  return buckets;
}

Size nearest_bucket(const Size& size) {
  const double aspect = std::log(static_cast<double>(size.width) / size.height);
  Size best = sdxl_buckets().front();
  double best_d = INFINITY;
  for (const Size& b : sdxl_buckets()) {
    const double d = std::abs(std::log(static_cast<double>(b.width) / b.height) - aspect);
    if (d < best_d) best = b, best_d = d;
  }
  return best;
}

std::vector<std::string> size_warnings(const Size& size) {
  std::vector<std::string> out;
  const std::string text = std::to_string(size.width) + "x" + std::to_string(size.height);
  const double pixels = static_cast<double>(size.width) * size.height;
  if (pixels < 512.0 * 512.0)
    out.push_back("size " + text + " is below 512x512: SDXL was trained around 1024x1024 and degrades at small sizes");
  else if (pixels > 2.0 * 1024 * 1024)
    out.push_back("size " + text + " is far above one megapixel, what SDXL was trained on (the bucket option snaps to an SDXL size)");
  if (size.width % 64 != 0 || size.height % 64 != 0)
    out.push_back("size " + text + " is not a multiple of 64 like SDXL's training buckets (the bucket option snaps to one)");
  return out;
}

}  // namespace sdxl
