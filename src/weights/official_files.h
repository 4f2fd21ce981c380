// The official SDXL files whose size and sha256 are published (data/official-weights.tsv, sources in
// weights/README.md): check-weights recognises them by file name and verifies the download bit for bit.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

namespace sdxl {

struct OfficialFile {
  std::string target;     // get-weights.sh name: base, refiner
  std::string repo;       // Hugging Face repository
  std::string name;       // file name (what a user's copy is recognised by)
  int64_t size = 0;
  std::string sha256;     // 64 lowercase hex digits
};

// The official file with this base name that has a pinned size and sha256; nothing for other names.
std::optional<OfficialFile> official_file(const std::string& path);

struct OfficialCheck {
  bool ok = false;
  std::string message;  // "sha256 ok (official ...)" or what is wrong: truncated, other size, other sha256
};

// Compares the file's size, then its sha256 (reads the whole file: ~30 s for 7 GB), with the published values.
OfficialCheck check_official_file(const std::string& path, const OfficialFile& official);

}  // namespace sdxl
