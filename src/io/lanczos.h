// Resampling of 8-bit RGB images exactly as Pillow's Image.resize(size, filter) computes it
// (libImaging/Resample.c): a convolution filter whose support is widened by the scale when shrinking, weights
// normalised per output pixel then quantised to 22 fraction bits, a horizontal pass then a vertical pass,
// each rounded and clamped to 8 bits. The web UIs' "Lanczos" upscaler is the Lanczos call; CLIP's image
// processor (transformers CLIPImageProcessor, resample=BICUBIC) the bicubic one. The pass order is every
// Pillow's before 13.0 (the web UI pins 9.5.0); Pillow 13.0 runs the vertical pass first when the height shrinks
// by more than twice as many pixels as the width (python-pillow/Pillow#9549), which rounds differently, so the
// reference environment (scripts/reference_env.sh) pins Pillow 12.3.0.
#pragma once
#include <array>

#include "io/png.h"

namespace sdxl::io {

// Pillow's Image.LANCZOS (3-lobe windowed sinc, support 3) and Image.BICUBIC (cubic convolution with
// a = -0.5, support 2).
enum class ResampleFilter { Lanczos, Bicubic };

Image pillow_resize(const Image& image, int width, int height, ResampleFilter filter);
// Image.resize(size, filter, box): the source region box = {x0, y0, x1, y1} (floats, inside the image; an empty
// span is allowed and gives the filter's weighted edge rows or columns, as the web UI's "resize and fill" uses it).
Image pillow_resize(const Image& image, int width, int height, ResampleFilter filter, const std::array<float, 4>& box);
inline Image lanczos_resize(const Image& image, int width, int height) {
  return pillow_resize(image, width, height, ResampleFilter::Lanczos);
}

}  // namespace sdxl::io
