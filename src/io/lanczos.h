// Lanczos resampling of 8-bit RGB images exactly as Pillow's Image.resize(size, Image.LANCZOS) computes it
// (libImaging/Resample.c): a 3-lobe windowed sinc, support widened by the scale when shrinking, weights
// normalised per output pixel then quantised to 22 fraction bits, a horizontal pass then a vertical pass,
// each rounded and clamped to 8 bits. The web UIs' "Lanczos" upscaler is this call.
#pragma once
#include "io/png.h"

namespace sdxl::io {

Image lanczos_resize(const Image& image, int width, int height);

}  // namespace sdxl::io
