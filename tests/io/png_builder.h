// Builds PNG files by hand for the reader tests: any colour type / bit depth / interlace, arbitrary
// chunks, deliberately broken ones. Image data goes into zlib "stored" (uncompressed) deflate blocks
// (RFC 1950/1951), so the tests need no compressor and every byte of the stream is predictable.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "io/crc32.h"

namespace sdxl::test {

inline void put_be32(std::string& out, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out += static_cast<char>((v >> s) & 0xFF);
}

inline uint32_t read_be32(const std::string& s, size_t at) {
  return (uint32_t(uint8_t(s[at])) << 24) | (uint32_t(uint8_t(s[at + 1])) << 16) | (uint32_t(uint8_t(s[at + 2])) << 8) |
         uint32_t(uint8_t(s[at + 3]));
}

inline std::string chunk(const std::string& type, const std::string& data) {
  std::string out;
  put_be32(out, static_cast<uint32_t>(data.size()));
  out += type + data;
  put_be32(out, io::crc32(data.data(), data.size(), io::crc32(type.data(), 4)));
  return out;
}

inline std::string ihdr(uint32_t width, uint32_t height, int bit_depth, int color_type, int interlace = 0) {
  std::string d;
  put_be32(d, width);
  put_be32(d, height);
  d += static_cast<char>(bit_depth);
  d += static_cast<char>(color_type);
  d += '\0';  // compression
  d += '\0';  // filter method
  d += static_cast<char>(interlace);
  return chunk("IHDR", d);
}

// zlib stream holding `raw` in stored blocks of at most 65535 bytes.
inline std::string zlib_stored(const std::string& raw) {
  std::string out = "\x78\x01";
  size_t pos = 0;
  do {
    const size_t n = std::min<size_t>(65535, raw.size() - pos);
    const bool last = pos + n == raw.size();
    out += static_cast<char>(last ? 1 : 0);
    out += static_cast<char>(n & 0xFF);
    out += static_cast<char>(n >> 8);
    out += static_cast<char>(~n & 0xFF);
    out += static_cast<char>((~n >> 8) & 0xFF);
    out.append(raw, pos, n);
    pos += n;
  } while (pos < raw.size());
  uint32_t a = 1, b = 0;  // Adler-32
  for (unsigned char c : raw) {
    a = (a + c) % 65521;
    b = (b + a) % 65521;
  }
  put_be32(out, (b << 16) | a);
  return out;
}

inline const std::string kSignature("\x89PNG\r\n\x1a\n", 8);

// Signature + IHDR + `middle` chunks + one IDAT with `raw` (filtered scanlines) + IEND.
inline std::string make_png(const std::string& ihdr_chunk, const std::string& raw, const std::string& middle = "") {
  return kSignature + ihdr_chunk + middle + chunk("IDAT", zlib_stored(raw)) + chunk("IEND", "");
}

// Raw scanlines with filter type 0 (None): each row = 0 byte + row bytes.
inline std::string unfiltered(const std::vector<std::string>& rows) {
  std::string raw;
  for (const auto& r : rows) raw += '\0' + r;
  return raw;
}

}  // namespace sdxl::test
