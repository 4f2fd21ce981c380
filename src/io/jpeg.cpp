#include "io/jpeg.h"

#include <csetjmp>
#include <cstdio>
// jpeglib.h needs FILE and size_t declared first.
#include <jpeglib.h>

#include "common/error.h"
#include "io/png_chunks.h"

namespace sdxl::io {
namespace {

// libjpeg reports errors through error_exit, which must not return: it jumps back into decode_jpeg
// (a C++ exception may not cross libjpeg's C frames) with the library's message kept.
struct ErrorManager {
  jpeg_error_mgr pub;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void on_error(j_common_ptr cinfo) {
  auto* e = reinterpret_cast<ErrorManager*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, e->message);
  std::longjmp(e->jump, 1);
}

// Level -1 is a warning about damaged data (a truncated file, a bad marker) that libjpeg would decode
// around, filling the rest with grey: refused like an error instead of guessed at. Trace levels are ignored.
void on_message(j_common_ptr cinfo, int level) {
  if (level < 0) on_error(cinfo);
}

}  // namespace

bool looks_like_jpeg(std::string_view b) {
  return b.size() >= 3 && static_cast<uint8_t>(b[0]) == 0xFF && static_cast<uint8_t>(b[1]) == 0xD8 &&
         static_cast<uint8_t>(b[2]) == 0xFF;
}

Image decode_jpeg(std::string_view bytes, const std::string& name) {
  if (!looks_like_jpeg(bytes)) throw Error(ErrorCategory::Input, "", name + ": not a JPEG file (bad signature)");
  if (bytes.size() > kMaxPngFileBytes)
    throw Error(ErrorCategory::Input, "", name + ": JPEG file is larger than " + std::to_string(kMaxPngFileBytes) + " bytes");
  jpeg_decompress_struct cinfo{};
  ErrorManager err{};
  cinfo.err = jpeg_std_error(&err.pub);
  err.pub.error_exit = on_error;
  err.pub.emit_message = on_message;
  // Everything that may longjmp lives in this block's C state only; the C++ objects are made after it.
  std::string problem;
  Image image;
  std::vector<uint8_t>& rgb = image.rgb;  // sized before the jump point, so no destructor is skipped
  if (setjmp(err.jump)) {
    jpeg_destroy_decompress(&cinfo);
    throw Error(ErrorCategory::Input, "", name + ": cannot decode JPEG image data (" + std::string(err.message) + ")");
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<unsigned long>(bytes.size()));
  jpeg_read_header(&cinfo, TRUE);
  if (cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK) {
    problem = "CMYK JPEG images are not supported; save it as RGB";
  } else if (cinfo.image_width < 1 || cinfo.image_height < 1 || cinfo.image_width > kMaxPngSide ||
             cinfo.image_height > kMaxPngSide) {
    problem = "size " + std::to_string(cinfo.image_width) + "x" + std::to_string(cinfo.image_height) + " is outside 1.." +
              std::to_string(kMaxPngSide) + " per side";
  }
  if (!problem.empty()) {
    jpeg_destroy_decompress(&cinfo);
    throw Error(ErrorCategory::Input, "", name + ": " + problem);
  }
  cinfo.out_color_space = JCS_RGB;  // greyscale and YCbCr converted by the library, as Pillow's "RGB" mode
  jpeg_start_decompress(&cinfo);
  image.width = static_cast<int>(cinfo.output_width);
  image.height = static_cast<int>(cinfo.output_height);
  rgb.resize(static_cast<size_t>(image.width) * image.height * 3);
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = rgb.data() + static_cast<size_t>(cinfo.output_scanline) * image.width * 3;
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return image;
}

}  // namespace sdxl::io
