#include "io/link_placeholder.h"

#include <filesystem>
#include <fstream>
#include <system_error>

namespace sdxl::io {
namespace fs = std::filesystem;

namespace {

constexpr uintmax_t kMaxPlaceholderBytes = 1024;
constexpr int kMaxHops = 8;

// The target named by a placeholder file, or "" if `path` is not one.
std::string placeholder_target(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return "";
  const uintmax_t size = fs::file_size(path, ec);
  if (ec || size == 0 || size > kMaxPlaceholderBytes) return "";
  std::ifstream in(path, std::ios::binary);
  std::string text(static_cast<size_t>(size), '\0');
  if (!in.read(text.data(), static_cast<std::streamsize>(size))) return "";
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  if (text.empty()) return "";
  for (unsigned char c : text)
    if (c < 0x20 || c == 0x7f) return "";  // one line of printable text, nothing else
  const fs::path target = fs::path(text).is_absolute() ? fs::path(text) : path.parent_path() / text;
  if (!fs::exists(target, ec)) return "";
  return target.lexically_normal().string();
}

}  // namespace

std::string resolve_link_placeholder(const std::string& path) {
  std::string current = path;
  for (int hop = 0; hop < kMaxHops; ++hop) {
    std::string next = placeholder_target(current);
    if (next.empty()) return current;
    current = next;
  }
  return current;
}

}  // namespace sdxl::io
