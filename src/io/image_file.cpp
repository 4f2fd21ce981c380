#include "io/image_file.h"

#include <sys/stat.h>

#include "common/error.h"
#include "io/atomic_file.h"
#include "io/jpeg.h"
#include "io/png_chunks.h"

namespace sdxl::io {
namespace {

bool looks_like_png(std::string_view b) { return b.size() >= 4 && b.substr(0, 4) == "\x89PNG"; }

}  // namespace

Image decode_image(std::string_view bytes, const std::string& name) {
  if (looks_like_jpeg(bytes)) return decode_jpeg(bytes, name);
  if (looks_like_png(bytes)) return decode_png(bytes, name);
  throw Error(ErrorCategory::Input, "", name + ": not a PNG or JPEG image (unknown signature)");
}

Image read_image(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && uint64_t(st.st_size) > kMaxPngFileBytes)
    throw Error(ErrorCategory::Input, "", path + ": image file is larger than " + std::to_string(kMaxPngFileBytes) + " bytes");
  return decode_image(read_file(path), path);
}

}  // namespace sdxl::io
