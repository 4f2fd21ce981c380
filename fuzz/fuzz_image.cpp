// Fuzz target: the input-image reader (src/io/image_file.h) on arbitrary bytes: PNG or JPEG by the first
// bytes, anything else refused. A decoded image has sides in 1..16384 and exactly width*height*3 bytes, and
// every failure is an sdxl::Error (libjpeg's own error exits are turned into one; nothing aborts or leaks).
#include <cstdint>
#include <string_view>

#include "common/error.h"
#include "fuzz_util.h"
#include "io/image_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  sdxl::io::Image image;
  try {
    image = sdxl::io::decode_image(bytes, "fuzz.img");
  } catch (const sdxl::Error&) {
    return 0;
  }
  FUZZ_CHECK(image.width >= 1 && image.width <= 16384 && image.height >= 1 && image.height <= 16384, "size");
  FUZZ_CHECK(image.rgb.size() == size_t(image.width) * size_t(image.height) * 3, "pixel buffer size");
  return 0;
}
