// "Inpaint only masked" of the web UIs (--inpaint-full-res --inpaint-padding P): the box around the mask,
// padded by P and widened to the aspect of --size (AUTOMATIC1111 modules/masking.py get_crop_region +
// expand_crop_region), is cut out, resized to --size keeping its aspect (the web UI's "resize and fill",
// io/webui_resize.h), inpainted there, resized back ("crop and resize") and pasted into the full image. Small masks on large images get the model's full resolution.
#pragma once
#include <ATen/ATen.h>

#include "io/png.h"

namespace sdxl {

struct CropBox {
  int x1 = 0, y1 = 0, x2 = 0, y2 = 0;  // [x1, x2) x [y1, y2)
  int width() const { return x2 - x1; }
  int height() const { return y2 - y1; }
  bool operator==(const CropBox& o) const { return x1 == o.x1 && y1 == o.y1 && x2 == o.x2 && y2 == o.y2; }
};

// The bounding box of the mask's nonzero pixels (uint8 [H,W]), grown by `padding` on each side and clipped
// to the image. The mask must not be all zero.
CropBox mask_crop_region(const at::Tensor& luminance, int padding);
// Grows the shorter dimension of `box` symmetrically until its aspect matches width:height, shifting it back
// inside the image where it would leave it (and clipping when the image is too small).
CropBox expand_to_aspect(CropBox box, int width, int height, int image_width, int image_height);

io::Image crop(const io::Image& image, const CropBox& box);
// Pastes `patch` (box-sized) into a copy of `image` at the box.
io::Image paste(const io::Image& image, const io::Image& patch, const CropBox& box);

}  // namespace sdxl
