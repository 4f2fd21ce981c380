#include "weights/model_hash.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <vector>

#include "common/error.h"
#include "io/crc32.h"

namespace sdxl {
namespace {

namespace fs = std::filesystem;
constexpr std::streamoff kSample = 1 << 20;

uint32_t hash_file(const fs::path& path, uint32_t crc) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw input_error("model", path.string() + ": cannot read file");
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  const uint64_t size64 = static_cast<uint64_t>(size);
  crc = io::crc32(&size64, sizeof size64, crc);
  std::vector<char> buf;
  for (std::streamoff at : {std::streamoff(0), std::max<std::streamoff>(size - kSample, kSample)}) {
    if (at >= size && at != 0) break;
    buf.resize(static_cast<size_t>(std::min(kSample, size - at)));
    in.seekg(at);
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    crc = io::crc32(buf.data(), static_cast<size_t>(in.gcount()), crc);
  }
  return crc;
}

}  // namespace

std::string model_hash(const std::string& path) {
  std::error_code ec;
  uint32_t crc = 0;
  if (fs::is_directory(path, ec)) {
    std::vector<fs::path> files = {fs::path(path) / "model_index.json"};
    for (const auto& e : fs::directory_iterator(fs::path(path) / "unet", ec))
      if (e.is_regular_file()) files.push_back(e.path());
    std::sort(files.begin() + 1, files.end());
    for (const auto& f : files) crc = hash_file(f, crc);
  } else {
    crc = hash_file(path, crc);
  }
  char text[16];
  std::snprintf(text, sizeof text, "%08x", crc);
  return text;
}

}  // namespace sdxl
