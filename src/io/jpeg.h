// JPEG files as input images (init images, masks, control and image-prompt images): decoded by the
// system's libjpeg-turbo (Debian libjpeg62-turbo-dev) with its defaults, the settings Pillow's JPEG decoder
// uses too (integer "islow" IDCT, fancy upsampling), so the pixels are Pillow's. Hostile input is expected:
// every problem is an sdxl::Error naming the file, never a crash or an exit.
#pragma once
#include <string>
#include <string_view>

#include "io/png.h"

namespace sdxl::io {

// Whether `bytes` starts like a JPEG file (SOI marker followed by another marker: FF D8 FF).
bool looks_like_jpeg(std::string_view bytes);
// A baseline or progressive JPEG (greyscale, YCbCr or RGB) as 8-bit RGB; `name` is used in error messages.
// CMYK/YCCK files, sides over 16384 and files over 1 GiB are refused. EXIF orientation is not applied
// (as Pillow's Image.open without ImageOps.exif_transpose).
Image decode_jpeg(std::string_view bytes, const std::string& name);

}  // namespace sdxl::io
