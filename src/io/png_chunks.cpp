#include "io/png_chunks.h"

#include "common/error.h"
#include "io/crc32.h"

namespace sdxl::io {

const char kPngSignature[8] = {'\x89', 'P', 'N', 'G', '\r', '\n', '\x1a', '\n'};

namespace {

uint32_t be32(std::string_view b, size_t at) {
  return (uint32_t(uint8_t(b[at])) << 24) | (uint32_t(uint8_t(b[at + 1])) << 16) |
         (uint32_t(uint8_t(b[at + 2])) << 8) | uint32_t(uint8_t(b[at + 3]));
}

void put_be32(std::string& out, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out += static_cast<char>((v >> s) & 0xFF);
}

bool is_letter(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

// Printable form of a chunk type for messages (hostile types may hold any byte).
std::string printable_type(std::string_view t) {
  std::string out;
  for (char c : t) out += is_letter(c) ? c : '?';
  return out;
}

int channels_of(uint8_t color_type) {
  switch (color_type) {
    case 0: return 1;  // grey
    case 2: return 3;  // RGB
    case 3: return 1;  // palette index
    case 4: return 2;  // grey + alpha
    case 6: return 4;  // RGBA
    default: return 0;
  }
}

bool legal_depth(uint8_t color_type, uint8_t depth) {
  switch (color_type) {
    case 0: return depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16;
    case 3: return depth == 1 || depth == 2 || depth == 4 || depth == 8;
    case 2: case 4: case 6: return depth == 8 || depth == 16;
    default: return false;
  }
}

PngHeader parse_ihdr(std::string_view d, const std::string& name) {
  PngHeader h;
  h.width = be32(d, 0);
  h.height = be32(d, 4);
  h.bit_depth = uint8_t(d[8]);
  h.color_type = uint8_t(d[9]);
  const auto compression = uint8_t(d[10]), filter = uint8_t(d[11]);
  h.interlace = uint8_t(d[12]);
  const std::string dims = std::to_string(h.width) + "x" + std::to_string(h.height);
  if (h.width == 0 || h.height == 0) throw Error(ErrorCategory::Input, "", name + ": PNG has an empty image (" + dims + ")");
  if (h.width > kMaxPngSide || h.height > kMaxPngSide)
    throw Error(ErrorCategory::Input, "", name + ": PNG size " + dims + " exceeds the limit of " + std::to_string(kMaxPngSide) + " per side");
  if (channels_of(h.color_type) == 0)
    throw Error(ErrorCategory::Input, "", name + ": PNG has an invalid colour type " + std::to_string(h.color_type));
  if (!legal_depth(h.color_type, h.bit_depth))
    throw Error(ErrorCategory::Input, "", name + ": PNG bit depth " + std::to_string(h.bit_depth) + " is not allowed for colour type " +
                std::to_string(h.color_type));
  if (compression != 0 || filter != 0 || h.interlace > 1)
    throw Error(ErrorCategory::Input, "", name + ": PNG IHDR has an unknown compression, filter or interlace method");
  return h;
}

}  // namespace

uint64_t png_raw_bytes(const PngHeader& h) {
  const uint64_t bits_per_pixel = uint64_t(channels_of(h.color_type)) * h.bit_depth;
  auto pass_bytes = [&](uint64_t w, uint64_t rows) { return w == 0 || rows == 0 ? 0 : rows * (1 + (w * bits_per_pixel + 7) / 8); };
  if (h.interlace == 0) return pass_bytes(h.width, h.height);
  // Adam7: pass p samples x = x0 + k*dx, y = y0 + k*dy.
  static const int x0[7] = {0, 4, 0, 2, 0, 1, 0}, y0[7] = {0, 0, 4, 0, 2, 0, 1};
  static const int dx[7] = {8, 8, 4, 4, 2, 2, 1}, dy[7] = {8, 8, 8, 4, 4, 2, 2};
  uint64_t total = 0;
  for (int p = 0; p < 7; ++p) {
    const uint64_t w = h.width > uint32_t(x0[p]) ? (h.width - x0[p] + dx[p] - 1) / dx[p] : 0;
    const uint64_t rows = h.height > uint32_t(y0[p]) ? (h.height - y0[p] + dy[p] - 1) / dy[p] : 0;
    total += pass_bytes(w, rows);
  }
  return total;
}

std::string png_chunk(std::string_view type, std::string_view data) {
  std::string out;
  out.reserve(12 + data.size());
  put_be32(out, static_cast<uint32_t>(data.size()));
  out.append(type.data(), 4);
  out.append(data.data(), data.size());
  put_be32(out, crc32(data.data(), data.size(), crc32(type.data(), 4)));
  return out;
}

PngStructure parse_png_structure(std::string_view bytes, const std::string& name) {
  if (bytes.size() < 8 || bytes.substr(0, 8) != std::string_view(kPngSignature, 8))
    throw Error(ErrorCategory::Input, "", name + ": not a PNG file (bad signature)");
  PngStructure s;
  bool seen_ihdr = false, seen_plte = false, seen_idat = false, idat_ended = false, seen_iend = false;
  size_t count = 0;
  size_t pos = 8;
  while (!seen_iend) {
    if (bytes.size() - pos < 12)
      throw Error(ErrorCategory::Input, "", name + ": PNG is truncated at offset " + std::to_string(pos) + " (no IEND chunk)");
    const uint32_t length = be32(bytes, pos);
    const std::string_view type = bytes.substr(pos + 4, 4);
    const std::string where = name + ": PNG chunk '" + printable_type(type) + "' at offset " + std::to_string(pos);
    if (!is_letter(type[0]) || !is_letter(type[1]) || !is_letter(type[2]) || !is_letter(type[3]))
      throw Error(ErrorCategory::Input, "", where + " has an invalid type");
    if (length > 0x7FFFFFFFu || length > bytes.size() - pos - 12)
      throw Error(ErrorCategory::Input, "", where + " claims " + std::to_string(length) + " bytes, past the end of the file (" +
                  std::to_string(bytes.size()) + " bytes; truncated?)");
    const std::string_view data = bytes.substr(pos + 8, length);
    const uint32_t stored = be32(bytes, pos + 8 + length);
    const uint32_t computed = crc32(data.data(), data.size(), crc32(type.data(), 4));
    if (stored != computed) throw Error(ErrorCategory::Input, "", where + " has a bad CRC (corrupt file)");
    if (++count > kMaxPngChunks) throw Error(ErrorCategory::Input, "", name + ": PNG has more than " + std::to_string(kMaxPngChunks) + " chunks");

    if (!seen_ihdr && type != "IHDR") throw Error(ErrorCategory::Input, "", where + ": the first chunk must be IHDR");
    if (seen_idat && type != "IDAT") idat_ended = true;
    if (type == "IHDR") {
      if (seen_ihdr) throw Error(ErrorCategory::Input, "", where + ": duplicate IHDR");
      if (length != 13) throw Error(ErrorCategory::Input, "", where + ": IHDR must be 13 bytes, not " + std::to_string(length));
      s.header = parse_ihdr(data, name);
      seen_ihdr = true;
    } else if (type == "PLTE") {
      const uint32_t entries = length / 3;
      if (seen_plte || seen_idat) throw Error(ErrorCategory::Input, "", where + ": PLTE must appear once, before the image data");
      if (length % 3 != 0 || entries == 0 || entries > 256) throw Error(ErrorCategory::Input, "", where + ": PLTE has an invalid length");
      if (s.header.color_type == 0 || s.header.color_type == 4)
        throw Error(ErrorCategory::Input, "", where + ": PLTE is not allowed for a greyscale image");
      if (s.header.color_type == 3 && entries > (1u << s.header.bit_depth))
        throw Error(ErrorCategory::Input, "", where + ": PLTE has more entries than the bit depth can index");
      s.palette = data;
      seen_plte = true;
    } else if (type == "tRNS") {
      if (seen_idat || !s.transparency.empty()) throw Error(ErrorCategory::Input, "", where + ": tRNS must appear once, before the image data");
      const uint8_t ct = s.header.color_type;
      const bool ok = (ct == 0 && length == 2) || (ct == 2 && length == 6) ||
                      (ct == 3 && seen_plte && length >= 1 && length <= s.palette.size() / 3);
      if (!ok) throw Error(ErrorCategory::Input, "", where + ": tRNS does not fit the colour type / palette");
      s.transparency = data;
    } else if (type == "IDAT") {
      if (idat_ended) throw Error(ErrorCategory::Input, "", where + ": IDAT chunks must be consecutive");
      if (s.header.color_type == 3 && !seen_plte) throw Error(ErrorCategory::Input, "", where + ": palette image without a PLTE chunk");
      if (s.idat.size() + length > kMaxPngFileBytes) throw Error(ErrorCategory::Input, "", where + ": too much image data");
      s.idat.append(data.data(), data.size());
      seen_idat = true;
    } else if (type == "IEND") {
      if (length != 0) throw Error(ErrorCategory::Input, "", where + ": IEND must be empty");
      seen_iend = true;
    } else if (type == "tEXt" || type == "zTXt" || type == "iTXt") {
      s.text.push_back({std::string(type), data, pos});
    } else if (type[0] >= 'A' && type[0] <= 'Z') {
      // Uppercase first letter = critical: a decoder that does not know it must not show the image.
      throw Error(ErrorCategory::Input, "", where + ": unknown critical chunk");
    }
    pos += 12 + length;
  }
  if (!seen_idat) throw Error(ErrorCategory::Input, "", name + ": PNG has no image data (IDAT)");
  s.raw_bytes = png_raw_bytes(s.header);
  if (s.raw_bytes > kMaxPngRawBytes)
    throw Error(ErrorCategory::Input, "", name + ": PNG image data would inflate to " + std::to_string(s.raw_bytes) + " bytes (limit " +
                std::to_string(kMaxPngRawBytes) + ")");
  return s;
}

}  // namespace sdxl::io
