// Outpainting: extend the canvas and inpaint the new border. The new area is filled by edge extension
// (each new pixel copies the nearest original pixel), so the VAE sees plausible colours there rather than
// a hard frame; the mask is white over the new border and ramps from white to black over
// kOutpaintOverlap original pixels along each extended side, so the seam is repainted (the binarised
// mask covers the outer half of the ramp) and --keep-unmasked feathers it.
#pragma once
#include "io/png.h"
#include "io/size_parse.h"

namespace sdxl {

constexpr int kOutpaintOverlap = 16;

struct OutpaintCanvas {
  io::Image image;  // (W + left + right) x (H + top + bottom)
  io::Image mask;   // same size, grey levels (white = repaint)
};

OutpaintCanvas prepare_outpaint(const io::Image& image, const io::Edges& edges);

}  // namespace sdxl
