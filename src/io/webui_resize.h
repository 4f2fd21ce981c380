// The web UI's images.resize_image (AUTOMATIC1111/stable-diffusion-webui modules/images.py @
// 00952fb4a8b86b75402cc8276e00f3daadf1f459) with no img2img upscaler configured, so every resize is Pillow's
// Lanczos (io/lanczos.h), except the fill bands of mode 2, resized with Pillow's default filter (bicubic). "Inpaint only masked" uses mode 2 to bring the crop box to the processing size and
// mode 1 to bring the result back (processing.py); the server's img2img `resize_mode` is the same function.
#pragma once
#include "io/png.h"

namespace sdxl::io {

enum class WebUiResize {
  JustResize,     // 0: stretched to the target
  CropAndResize,  // 1: scaled to cover the target, centred, the overhang cut off
  ResizeAndFill,  // 2: scaled to fit inside the target, centred, the bands left over filled from the image's edge
                  //    rows or columns
};

Image webui_resize(const Image& image, int width, int height, WebUiResize mode);

}  // namespace sdxl::io
