// Fuzz target: the PNG reader (src/io/png.h) on arbitrary bytes, and on a copy whose chunk CRCs are
// recomputed (most mutations would otherwise stop at the CRC check). A decoded image has sides in 1..16384,
// exactly width*height*3 bytes and UTF-8 text; small images must survive an encode -> decode round trip
// (pixels, and text whenever the writer accepts it) and the tensor conversion both ways.
#include <cstdint>
#include <string>
#include <string_view>

#include "common/error.h"
#include "fuzz_util.h"
#include "io/crc32.h"
#include "io/png.h"
#include "io/utf8.h"

namespace {

void decode(std::string_view bytes) {
  sdxl::io::PngText text;
  sdxl::io::Image image;
  try {
    image = sdxl::io::decode_png(bytes, "fuzz.png", &text);
  } catch (const sdxl::Error&) {
    return;
  }
  FUZZ_CHECK(image.width >= 1 && image.width <= 16384 && image.height >= 1 && image.height <= 16384, "size");
  FUZZ_CHECK(image.rgb.size() == size_t(image.width) * size_t(image.height) * 3, "pixel buffer size");
  for (const auto& [key, value] : text) {
    FUZZ_CHECK(sdxl::io::is_valid_utf8(key), "keyword is UTF-8");
    FUZZ_CHECK(sdxl::io::is_valid_utf8(value), "value is UTF-8");
  }
  if (size_t(image.width) * size_t(image.height) > (1u << 16)) return;  // keep each run fast

  // Pixels round-trip through our writer.
  const sdxl::io::Image again = sdxl::io::decode_png(sdxl::io::encode_png(image), "round trip");
  FUZZ_CHECK(again == image, "pixels round-trip");
  // Text round-trips whenever the writer accepts it (it is stricter about keywords than the reader).
  std::string with_text;
  try {
    with_text = sdxl::io::encode_png(image, text);
  } catch (const sdxl::Error&) {
  }
  if (!with_text.empty()) {
    sdxl::io::PngText text_again;
    FUZZ_CHECK(sdxl::io::decode_png(with_text, "text round trip", &text_again) == image, "pixels with text");
    FUZZ_CHECK(text_again == text, "text round-trips");
  }
  FUZZ_CHECK(sdxl::io::from_tensor(sdxl::io::to_tensor(image)) == image, "tensor round trip");
}

uint32_t be32(const std::string& s, size_t at) {
  return uint32_t(uint8_t(s[at])) << 24 | uint32_t(uint8_t(s[at + 1])) << 16 | uint32_t(uint8_t(s[at + 2])) << 8 |
         uint32_t(uint8_t(s[at + 3]));
}

// `bytes` with the CRC of every complete chunk after the signature made correct.
std::string with_fixed_crcs(std::string_view bytes) {
  std::string out(bytes);
  size_t pos = 8;
  while (out.size() >= pos + 12) {
    const uint32_t length = be32(out, pos);
    if (length > out.size() - pos - 12) break;
    const uint32_t crc = sdxl::io::crc32(out.data() + pos + 4, size_t(length) + 4);
    for (int i = 0; i < 4; ++i) out[pos + 8 + length + i] = char(crc >> (24 - 8 * i));
    pos += 12 + size_t(length);
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  decode(bytes);
  const std::string fixed = with_fixed_crcs(bytes);
  if (fixed != bytes) decode(fixed);
  return 0;
}
