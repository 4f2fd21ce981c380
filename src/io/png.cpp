#include "io/png.h"

#include <sys/stat.h>

#include <cstring>

#include "common/error.h"
#include "io/atomic_file.h"
#include "io/png_chunks.h"
#include "io/png_codec.h"
#include "io/png_text.h"

namespace sdxl::io {
namespace {

// Some encoders pad the zlib stream (stb accepts extra data after the last row); allow a little.
constexpr uint64_t kRawSlackBytes = 1 << 16;

std::string dims(int64_t w, int64_t h) { return std::to_string(w) + "x" + std::to_string(h); }

void check_image(const Image& image, const std::string& what) {
  if (image.width < 1 || image.height < 1 || image.width > int(kMaxPngSide) || image.height > int(kMaxPngSide))
    throw Error(ErrorCategory::Input, "", what + ": image size " + dims(image.width, image.height) + " is outside 1.." +
                std::to_string(kMaxPngSide) + " per side");
  const size_t want = size_t(image.width) * size_t(image.height) * 3;
  if (image.rgb.size() != want)
    throw Error(ErrorCategory::Input, "", what + ": pixel buffer holds " + std::to_string(image.rgb.size()) + " bytes, " +
                dims(image.width, image.height) + " RGB needs " + std::to_string(want));
}

// The minimal file handed to stb: only the chunks it needs, one IDAT. The palette is padded to 256
// black entries so out-of-range indices in a hostile file decode deterministically (stb would
// otherwise read its uninitialised palette entries).
std::string file_for_decoder(std::string_view bytes, const PngStructure& s) {
  std::string out(kPngSignature, 8);
  out += png_chunk("IHDR", bytes.substr(16, 13));  // IHDR data sits right after the signature
  if (s.header.color_type == 3) {  // a suggested palette (PLTE in an RGB file) is not needed to decode
    std::string palette(s.palette);
    palette.resize(256 * 3, '\0');
    out += png_chunk("PLTE", palette);
  }
  if (!s.transparency.empty()) out += png_chunk("tRNS", s.transparency);
  out += png_chunk("IDAT", s.idat);
  out += png_chunk("IEND", "");
  return out;
}

}  // namespace

std::string encode_png(const Image& image, const PngText& text_chunks) {
  check_image(image, "PNG encode");
  std::string text;
  for (const auto& [keyword, value] : text_chunks) text += encode_text_chunk(keyword, value);
  std::string png = png_codec::encode_rgb(image.rgb.data(), image.width, image.height);
  // stb writes signature (8) + IHDR (4 length, 4 type, 13 data, 4 CRC); text goes right after it.
  constexpr size_t kAfterIhdr = 8 + 25;
  if (png.size() < kAfterIhdr || png.compare(12, 4, "IHDR") != 0)
    throw Error(ErrorCategory::Input, "", "PNG encode: the encoder failed for a " + dims(image.width, image.height) + " image");
  png.insert(kAfterIhdr, text);
  return png;
}

void write_png(const std::string& path, const Image& image, const PngText& text_chunks) {
  std::string png;
  try {
    png = encode_png(image, text_chunks);
  } catch (const Error& e) {
    throw Error(ErrorCategory::Input, "", path + ": " + e.what());
  }
  write_file_atomic(path, png);
}

Image decode_png(std::string_view bytes, const std::string& name, PngText* text_chunks) {
  if (bytes.size() > kMaxPngFileBytes) throw Error(ErrorCategory::Input, "", name + ": PNG file is larger than " + std::to_string(kMaxPngFileBytes) + " bytes");
  const PngStructure s = parse_png_structure(bytes, name);

  // Inflate once ourselves into a bounded buffer: a zip bomb fails here instead of in the decoder,
  // and a stream that is too short is reported as such.
  size_t raw_size = 0;
  if (!png_codec::zlib_inflate(s.idat, s.raw_bytes + kRawSlackBytes, nullptr, &raw_size))
    throw Error(ErrorCategory::Input, "", name + ": PNG image data is corrupt or inflates past the " + std::to_string(s.raw_bytes) +
                " bytes its header implies");
  if (raw_size < s.raw_bytes)
    throw Error(ErrorCategory::Input, "", name + ": PNG image data is truncated (" + std::to_string(raw_size) + " of " +
                std::to_string(s.raw_bytes) + " bytes)");

  PngText text;
  uint64_t text_budget = kMaxPngTextBytes;
  for (const auto& chunk : s.text) {
    const std::string where = name + ": PNG chunk '" + chunk.type + "' at offset " + std::to_string(chunk.offset);
    auto kv = decode_text_chunk(chunk.type, chunk.data, text_budget, where);
    const uint64_t used = kv.first.size() + kv.second.size();
    if (used > text_budget) throw Error(ErrorCategory::Input, "", where + ": text chunks exceed " + std::to_string(kMaxPngTextBytes) + " bytes");
    text_budget -= used;
    text.push_back(std::move(kv));
  }

  Image image;
  std::string reason;
  if (!png_codec::decode_rgb(file_for_decoder(bytes, s), &image.width, &image.height, &image.rgb, &reason))
    throw Error(ErrorCategory::Input, "", name + ": cannot decode PNG image data (" + reason + ")");
  if (uint32_t(image.width) != s.header.width || uint32_t(image.height) != s.header.height)
    throw Error(ErrorCategory::Input, "", name + ": decoder disagrees with the PNG header about the image size");
  if (text_chunks) *text_chunks = std::move(text);
  return image;
}

Image read_png(const std::string& path, PngText* text_chunks) {
  struct stat st {};
  if (stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && uint64_t(st.st_size) > kMaxPngFileBytes)
    throw Error(ErrorCategory::Input, "", path + ": PNG file is larger than " + std::to_string(kMaxPngFileBytes) + " bytes");
  const std::string bytes = read_file(path);
  return decode_png(bytes, path, text_chunks);
}

Image from_tensor(const at::Tensor& hwc) {
  if (!hwc.defined() || hwc.scalar_type() != at::kByte || hwc.dim() != 3 || hwc.size(2) != 3)
    throw Error(ErrorCategory::Input, "", "image tensor: expected uint8 [H, W, 3], got " +
                (hwc.defined() ? std::string(c10::toString(hwc.scalar_type())) + " " + c10::str(hwc.sizes())
                               : std::string("an undefined tensor")));
  if (hwc.size(0) < 1 || hwc.size(1) < 1 || hwc.size(0) > kMaxPngSide || hwc.size(1) > kMaxPngSide)
    throw Error(ErrorCategory::Input, "", "image tensor: size " + dims(hwc.size(1), hwc.size(0)) + " is outside 1.." +
                std::to_string(kMaxPngSide) + " per side");
  const at::Tensor c = hwc.to(at::kCPU).contiguous();
  Image image;
  image.height = static_cast<int>(c.size(0));
  image.width = static_cast<int>(c.size(1));
  const auto* p = c.data_ptr<uint8_t>();
  image.rgb.assign(p, p + c.numel());
  return image;
}

at::Tensor to_tensor(const Image& image) {
  check_image(image, "image to tensor");
  at::Tensor t = at::empty({image.height, image.width, 3}, at::TensorOptions().dtype(at::kByte));
  std::memcpy(t.data_ptr<uint8_t>(), image.rgb.data(), image.rgb.size());
  return t;
}

}  // namespace sdxl::io
