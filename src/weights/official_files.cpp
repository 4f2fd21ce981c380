#include "weights/official_files.h"

#include <sys/stat.h>

#include <sstream>
#include <vector>

#include "io/sha256.h"

namespace sdxl {

// data/official-weights.tsv, compiled in by CMake (cmake/official_weights_table.cpp.in).
extern const char kOfficialWeightsTable[];

namespace {

std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> cols;
  std::istringstream in(line);
  for (std::string col; std::getline(in, col, '\t');) cols.push_back(col);
  return cols;
}

std::string base_name(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

std::optional<OfficialFile> official_file(const std::string& path) {
  const std::string name = base_name(path);
  std::istringstream table(kOfficialWeightsTable);
  for (std::string line; std::getline(table, line);) {
    if (line.empty() || line[0] == '#') continue;
    const auto cols = split_tabs(line);  // target repo repo_file local size sha256
    if (cols.size() != 6 || cols[4] == "-" || cols[5] == "-" || base_name(cols[3]) != name) continue;
    return OfficialFile{cols[0], cols[1], name, std::stoll(cols[4]), cols[5]};
  }
  return std::nullopt;
}

OfficialCheck check_official_file(const std::string& path, const OfficialFile& official) {
  const std::string what = "official " + official.repo + " file";
  struct stat st {};
  if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return {false, "cannot be read as a file"};
  const int64_t size = static_cast<int64_t>(st.st_size);
  if (size < official.size)
    return {false, "truncated: " + std::to_string(size) + " of the " + what + "'s " + std::to_string(official.size) +
                       " bytes (scripts/get-weights.sh " + official.target + " resumes the download)"};
  if (size != official.size)
    return {false, std::to_string(size) + " bytes, the " + what + " has " + std::to_string(official.size) +
                       " (not the official file)"};
  const std::string sha = io::hash_file(path, false).file;
  if (sha != official.sha256)
    return {false, "sha256 " + sha + ", the " + what + "'s is " + official.sha256 +
                       " (corrupt download or another file under the official name)"};
  return {true, "sha256 ok (" + what + ")"};
}

}  // namespace sdxl
