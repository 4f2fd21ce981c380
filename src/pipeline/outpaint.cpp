#include "pipeline/outpaint.h"

#include <algorithm>

namespace sdxl {

OutpaintCanvas prepare_outpaint(const io::Image& image, const io::Edges& e) {
  OutpaintCanvas c;
  const int W = image.width + e.left + e.right, H = image.height + e.top + e.bottom;
  c.image = io::Image{W, H, std::vector<uint8_t>(static_cast<size_t>(W) * H * 3)};
  c.mask = io::Image{W, H, std::vector<uint8_t>(static_cast<size_t>(W) * H * 3)};
  // Distance (in original pixels) from an extended side, counted from 1 at the outermost original pixel;
  // sides that are not extended do not count.
  auto ramp = [](int d) { return d > kOutpaintOverlap ? 0 : 255 - (255 * (d - 1)) / kOutpaintOverlap; };
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x) {
      const int sx = std::clamp(x - e.left, 0, image.width - 1), sy = std::clamp(y - e.top, 0, image.height - 1);
      const size_t o = (static_cast<size_t>(y) * W + x) * 3, s = (static_cast<size_t>(sy) * image.width + sx) * 3;
      std::copy_n(&image.rgb[s], 3, &c.image.rgb[o]);
      const int ix = x - e.left, iy = y - e.top;
      int m = 0;
      if (ix < 0 || iy < 0 || ix >= image.width || iy >= image.height) {
        m = 255;
      } else {
        if (e.left) m = std::max(m, ramp(ix + 1));
        if (e.top) m = std::max(m, ramp(iy + 1));
        if (e.right) m = std::max(m, ramp(image.width - ix));
        if (e.bottom) m = std::max(m, ramp(image.height - iy));
      }
      std::fill_n(&c.mask.rgb[o], 3, static_cast<uint8_t>(m));
    }
  return c;
}

}  // namespace sdxl
