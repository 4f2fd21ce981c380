// Input images by content, not by name: a PNG (io/png.h) or a JPEG (io/jpeg.h), told apart by their first
// bytes. Every image a request reads (init image, mask, control and image-prompt images) comes through here.
#pragma once
#include <string>
#include <string_view>

#include "io/png.h"

namespace sdxl::io {

// The image in `bytes` as 8-bit RGB; `name` is used in error messages. Anything but a PNG or JPEG is an
// input sdxl::Error ("not a PNG or JPEG image").
Image decode_image(std::string_view bytes, const std::string& name);
// decode_image of the file at `path` (at most 1 GiB).
Image read_image(const std::string& path);

}  // namespace sdxl::io
