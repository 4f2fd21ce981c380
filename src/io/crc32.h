// CRC-32 (ISO 3309 / ITU-T V.42, reflected polynomial 0xEDB88320), as PNG chunks and zlib use it.
#pragma once
#include <cstddef>
#include <cstdint>

namespace sdxl::io {

// CRC of `size` bytes, continuing from `crc` (the CRC of the bytes before; 0 to start).
// crc32(b, crc32(a)) == crc32(a + b), matching zlib's crc32().
uint32_t crc32(const void* data, size_t size, uint32_t crc = 0);

}  // namespace sdxl::io
