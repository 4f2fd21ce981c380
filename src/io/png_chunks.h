// PNG chunk structure (PNG spec, 3rd ed., sections 5 and 11): walking and validating a file's chunks
// before any decoder sees it, and building chunks with their CRC. Every error names the file.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sdxl::io {

// Limits for reading. 16384 per side matches parse_size's cap; the raw cap bounds the memory a small
// hostile file can make us allocate (a 16384^2 8-bit RGB image inflates to ~805 MB, which still fits).
constexpr uint32_t kMaxPngSide = 16384;
constexpr uint64_t kMaxPngFileBytes = 1ull << 30;
constexpr uint64_t kMaxPngRawBytes = 1ull << 30;   // inflated IDAT stream
constexpr uint64_t kMaxPngTextBytes = 64ull << 20; // all text chunks of a file together, decoded
constexpr size_t kMaxPngChunks = 1u << 20;

extern const char kPngSignature[8];

struct PngHeader {  // IHDR
  uint32_t width = 0, height = 0;
  uint8_t bit_depth = 0, color_type = 0, interlace = 0;
};

struct PngTextChunk {
  std::string type;       // "tEXt", "zTXt" or "iTXt"
  std::string_view data;  // view into the file bytes
  size_t offset = 0;      // of the chunk in the file, for error messages
};

// What a decoder needs from a validated file. Views point into the bytes given to parse_png_structure.
struct PngStructure {
  PngHeader header;
  std::string idat;              // all IDAT data concatenated: one zlib stream
  std::string_view palette;      // PLTE data (empty unless present)
  std::string_view transparency; // tRNS data (empty unless present)
  std::vector<PngTextChunk> text;
  uint64_t raw_bytes = 0;        // exact size of the inflated IDAT stream the header implies
};

// Checks signature, every chunk's length (inside the file) and CRC, IHDR first and valid (sides
// 1..kMaxPngSide, legal bit depth / colour type), PLTE/tRNS placement and sizes, consecutive IDATs,
// no unknown critical chunks, IEND present. Bytes after IEND are ignored. Throws sdxl::Error naming `name`.
PngStructure parse_png_structure(std::string_view bytes, const std::string& name);

// Inflated size of the image data for `h` (filter byte per row, Adam7 passes when interlaced).
uint64_t png_raw_bytes(const PngHeader& h);

// A complete chunk: big-endian length, type, data, CRC-32 over type and data.
std::string png_chunk(std::string_view type, std::string_view data);

}  // namespace sdxl::io
