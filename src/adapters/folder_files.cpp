#include "adapters/folder_files.h"

#include <algorithm>

#include "common/strings.h"

namespace sdxl {

std::vector<std::filesystem::path> safetensors_files_under(const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  std::vector<fs::path> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::follow_directory_symlink |
                                                           fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
    if (it->is_regular_file(ec) && ascii_lower(it->path().extension().string()) == ".safetensors") out.push_back(it->path());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace sdxl
