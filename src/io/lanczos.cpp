#include "io/lanczos.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "common/error.h"

namespace sdxl::io {
namespace {

constexpr int kPrecisionBits = 32 - 8 - 2;

double sinc(double x) {
  if (x == 0.0) return 1.0;
  x *= M_PI;
  return std::sin(x) / x;
}

double lanczos(double x) { return (-3.0 <= x && x < 3.0) ? sinc(x) * sinc(x / 3.0) : 0.0; }

// Keys' cubic convolution with a = -0.5 (Pillow bicubic_filter).
double bicubic(double x) {
  constexpr double a = -0.5;
  if (x < 0.0) x = -x;
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}

struct Filter {
  double (*kernel)(double);
  double support;
};

Filter filter_of(ResampleFilter f) { return f == ResampleFilter::Bicubic ? Filter{bicubic, 2.0} : Filter{lanczos, 3.0}; }

// For each output index: the first input index and the fixed-point weights (Pillow precompute_coeffs and
// normalize_coeffs_8bpc).
struct Coeffs {
  std::vector<int> first;
  std::vector<std::vector<int>> weights;
};

// [in0, in1): the source span (Pillow's `box` along this axis; the whole axis without one).
Coeffs coefficients(int in_size, float in0, float in1, int out_size, const Filter& filter) {
  const double scale = static_cast<double>(in1 - in0) / out_size;
  const double filterscale = std::max(scale, 1.0);
  const double support = filter.support * filterscale;
  Coeffs c;
  for (int xx = 0; xx < out_size; ++xx) {
    const double center = in0 + (xx + 0.5) * scale;
    const double ss = 1.0 / filterscale;
    int xmin = static_cast<int>(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    int xmax = static_cast<int>(center + support + 0.5);
    if (xmax > in_size) xmax = in_size;
    xmax -= xmin;
    std::vector<double> k(xmax);
    double ww = 0.0;
    for (int x = 0; x < xmax; ++x) {
      k[x] = filter.kernel((x + xmin - center + 0.5) * ss);
      ww += k[x];
    }
    std::vector<int> fixed(xmax);
    for (int x = 0; x < xmax; ++x) {
      const double v = ww != 0.0 ? k[x] / ww : k[x];
      fixed[x] = static_cast<int>(v < 0 ? -0.5 + v * (1 << kPrecisionBits) : 0.5 + v * (1 << kPrecisionBits));
    }
    c.first.push_back(xmin);
    c.weights.push_back(std::move(fixed));
  }
  return c;
}

uint8_t clip8(int64_t v) { return static_cast<uint8_t>(std::clamp<int64_t>(v >> kPrecisionBits, 0, 255)); }

// One pass along x (horizontal) or y (vertical) of an RGB buffer.
Image pass(const Image& in, int out_w, int out_h, bool horizontal, float in0, float in1, const Filter& filter) {
  const Coeffs c = coefficients(horizontal ? in.width : in.height, in0, in1, horizontal ? out_w : out_h, filter);
  Image out{out_w, out_h, std::vector<uint8_t>(static_cast<size_t>(out_w) * out_h * 3)};
  for (int y = 0; y < out_h; ++y)
    for (int x = 0; x < out_w; ++x) {
      const int o = horizontal ? x : y;
      for (int ch = 0; ch < 3; ++ch) {
        int64_t ss = int64_t{1} << (kPrecisionBits - 1);
        const auto& w = c.weights[o];
        for (size_t t = 0; t < w.size(); ++t) {
          const int sx = horizontal ? c.first[o] + static_cast<int>(t) : x;
          const int sy = horizontal ? y : c.first[o] + static_cast<int>(t);
          ss += static_cast<int64_t>(in.rgb[(static_cast<size_t>(sy) * in.width + sx) * 3 + ch]) * w[t];
        }
        out.rgb[(static_cast<size_t>(y) * out_w + x) * 3 + ch] = clip8(ss);
      }
    }
  return out;
}

}  // namespace

Image pillow_resize(const Image& image, int width, int height, ResampleFilter f) {
  return pillow_resize(image, width, height, f,
                       {0.0f, 0.0f, static_cast<float>(image.width), static_cast<float>(image.height)});
}

Image pillow_resize(const Image& image, int width, int height, ResampleFilter f, const std::array<float, 4>& box) {
  if (width < 1 || height < 1) throw Error(ErrorCategory::Input, "", "image resize: the target size must be positive");
  if (box[0] < 0 || box[1] < 0 || box[2] > image.width || box[3] > image.height || box[2] < box[0] || box[3] < box[1])
    throw Error(ErrorCategory::Input, "", "image resize: the box must lie inside the image");
  const bool whole = box[0] == 0 && box[1] == 0 && box[2] == image.width && box[3] == image.height;
  if (width == image.width && height == image.height && whole) return image;
  const Filter filter = filter_of(f);
  // Resample.c ImagingResampleInner: a pass is skipped only when it would copy its axis unchanged.
  const bool horizontal = width != image.width || box[0] != 0 || box[2] != width;
  const bool vertical = height != image.height || box[1] != 0 || box[3] != height;
  Image out = image;
  if (horizontal) out = pass(out, width, out.height, true, box[0], box[2], filter);
  if (vertical) out = pass(out, out.width, height, false, box[1], box[3], filter);
  return out;
}

}  // namespace sdxl::io
