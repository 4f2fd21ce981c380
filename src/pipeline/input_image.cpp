#include "pipeline/input_image.h"

#include "io/image_file.h"

namespace sdxl {

io::Image read_input_image(const GenerationRequest& r, const std::string& name) {
  const auto it = r.input_images.find(name);
  if (it != r.input_images.end() && it->second) return io::decode_image(*it->second, name);
  return io::read_image(name);
}

}  // namespace sdxl
