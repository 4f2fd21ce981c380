// A request's input images (init image, mask) by name: the bytes a front end gave in memory
// (GenerationRequest::input_images, a server's uploads) when the name is one of theirs, else the file.
#pragma once
#include <string>

#include "io/png.h"
#include "sdxl/request.h"

namespace sdxl {

// The image `name` of `r` as 8-bit RGB, decoded as io::read_image decodes a file (PNG or JPEG by content);
// errors name it the same way.
io::Image read_input_image(const GenerationRequest& r, const std::string& name);

}  // namespace sdxl
