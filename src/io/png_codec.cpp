#include "io/png_codec.h"

#include <climits>
#include <cstring>
#include <memory>
#include <new>

// stb is compiled here with internal linkage (STATIC): no stbi_* symbols leak into sdxl_io, so nothing
// clashes with another copy of stb in a program that links us. Only the PNG decoder is built (the other
// formats are attack surface we do not need); dimensions are capped like kMaxPngSide in png_chunks.h.
#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#define STBI_NO_STDIO
#define STBI_NO_LINEAR
#define STBI_NO_HDR
#define STBI_MAX_DIMENSIONS 16384
#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STBI_WRITE_NO_STDIO
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wsign-compare"
#include <stb/stb_image.h>
#include <stb/stb_image_write.h>
#pragma GCC diagnostic pop

namespace sdxl::io::png_codec {

bool zlib_inflate(std::string_view in, size_t max_out, std::string* out, size_t* out_size) {
  if (in.size() > static_cast<size_t>(INT_MAX) || max_out > static_cast<size_t>(INT_MAX)) return false;
  // A fixed, non-growing output buffer: stb fails instead of allocating past max_out (zip bombs).
  std::unique_ptr<char[]> buf(new (std::nothrow) char[max_out + 1]);
  if (!buf) return false;
  int n = stbi_zlib_decode_buffer(buf.get(), static_cast<int>(max_out), in.data(), static_cast<int>(in.size()));
  if (n < 0) return false;
  if (out) out->assign(buf.get(), static_cast<size_t>(n));
  if (out_size) *out_size = static_cast<size_t>(n);
  return true;
}

namespace {
void append_to_string(void* context, void* data, int size) {
  static_cast<std::string*>(context)->append(static_cast<const char*>(data), static_cast<size_t>(size));
}
}  // namespace

std::string encode_rgb(const uint8_t* rgb, int width, int height) {
  std::string out;
  if (!stbi_write_png_to_func(append_to_string, &out, width, height, 3, rgb, width * 3)) out.clear();
  return out;
}

bool decode_rgb(std::string_view png, int* width, int* height, std::vector<uint8_t>* rgb, std::string* error) {
  if (png.size() > static_cast<size_t>(INT_MAX)) {
    *error = "file too large";
    return false;
  }
  int w = 0, h = 0, channels_in_file = 0;
  stbi_uc* pixels = stbi_load_from_memory(reinterpret_cast<const stbi_uc*>(png.data()), static_cast<int>(png.size()),
                                          &w, &h, &channels_in_file, 3);
  if (!pixels) {
    const char* reason = stbi_failure_reason();
    *error = reason ? reason : "unknown decoder error";
    return false;
  }
  rgb->assign(pixels, pixels + static_cast<size_t>(w) * static_cast<size_t>(h) * 3);
  stbi_image_free(pixels);
  *width = w;
  *height = h;
  return true;
}

bool decode_alpha(std::string_view png, int* width, int* height, std::vector<uint8_t>* alpha, bool* has_alpha,
                  std::string* error) {
  if (png.size() > static_cast<size_t>(INT_MAX)) {
    *error = "file too large";
    return false;
  }
  int w = 0, h = 0, channels_in_file = 0;
  stbi_uc* pixels = stbi_load_from_memory(reinterpret_cast<const stbi_uc*>(png.data()), static_cast<int>(png.size()),
                                          &w, &h, &channels_in_file, 4);
  if (!pixels) {
    const char* reason = stbi_failure_reason();
    *error = reason ? reason : "unknown decoder error";
    return false;
  }
  const size_t n = static_cast<size_t>(w) * static_cast<size_t>(h);
  alpha->resize(n);
  for (size_t i = 0; i < n; ++i) (*alpha)[i] = pixels[i * 4 + 3];
  stbi_image_free(pixels);
  *width = w;
  *height = h;
  // Grey+alpha, RGBA, or a palette/grey/RGB image with a tRNS chunk (stb expands that to 4 channels).
  *has_alpha = channels_in_file == 2 || channels_in_file == 4;
  return true;
}

}  // namespace sdxl::io::png_codec
