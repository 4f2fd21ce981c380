// SHA-256 (FIPS 180-4) of files, for recording which LoRA files made an image.
#pragma once
#include <cstdint>
#include <string>

namespace sdxl::io {

struct FileHashes {
  std::string file;  // sha256 of the whole file, 64 lowercase hex digits
  std::string data;  // safetensors only: sha256 of the bytes after the header (kohya's / the web UI's "addnet"
                     // LoRA hash, whose first 12 digits the web UI writes as "Lora hashes"); else empty
};

// Reads the file once. Throws sdxl::Error naming the path when it cannot be read.
FileHashes hash_file(const std::string& path, bool safetensors_data_hash);

// Lowercase hex SHA-256 of bytes in memory (tests; the FIPS 180-4 examples).
std::string sha256_hex(const std::string& bytes);

}  // namespace sdxl::io
