#include "batch/manifest.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>

#include "batch/recorded.h"
#include "common/error.h"
#include "io/sha256.h"

namespace sdxl::batch {
namespace {

std::string join(const std::string& dir, const std::string& name) {
  return dir.empty() || dir == "." ? name : dir + (dir.back() == '/' ? "" : "/") + name;
}

nlohmann::json entry_json(const ManifestEntry& e) {
  nlohmann::json j = {{"index", e.index}, {"image", e.image}, {"images", e.images}, {"path", e.path},
                      {"sha256", e.sha256}, {"shard", e.shard}, {"command", e.command}};
  j["seed"] = e.seed ? nlohmann::json(*e.seed) : nlohmann::json(nullptr);
  if (e.line) j["line"] = e.line;
  if (e.recovered) j["recovered"] = true;
  return j;
}

}  // namespace

std::string manifest_name(int shard_index, int shard_count) {
  return "manifest-" + std::to_string(shard_index) + "-of-" + std::to_string(shard_count) + ".jsonl";
}

ManifestWriter::ManifestWriter(const std::string& out_dir, int shard_index, int shard_count, std::string command)
    : path_(join(out_dir, manifest_name(shard_index, shard_count))),
      command_(std::move(command)),
      shard_(std::to_string(shard_index) + "/" + std::to_string(shard_count)) {}

void ManifestWriter::append(const std::string& line) {
  // One write() of the whole line on an O_APPEND descriptor, then fsync: the line is on disk before the next
  // image starts, and a kill can only lose the line being written, never leave half of it behind another.
  const std::string text = line + "\n";
  const int fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) throw Error(ErrorCategory::Output, "out_dir", "cannot open " + path_ + ": " + std::strerror(errno));
  const ssize_t n = ::write(fd, text.data(), text.size());
  const int write_errno = errno;
  ::fsync(fd);
  ::close(fd);
  if (n != static_cast<ssize_t>(text.size()))
    throw Error(ErrorCategory::Output, "out_dir",
                "cannot append to " + path_ + ": " + (n < 0 ? std::strerror(write_errno) : "short write"));
}

void ManifestWriter::record(const WrittenImage& w) {
  ManifestEntry e;
  e.index = w.item.index;
  e.image = w.image;
  e.images = static_cast<int>(w.item.outputs.size());
  e.line = w.item.line;
  e.seed = w.result.seeds.at(static_cast<size_t>(w.image));
  e.path = w.path;
  e.sha256 = io::hash_file(w.path, false).file;
  e.shard = shard_;
  e.command = command_;
  nlohmann::json j = entry_json(e);
  j["timings"] = {{"encode_s", w.result.encode_s}, {"base_s", w.result.base_s}, {"refiner_s", w.result.refiner_s},
                  {"decode_s", w.result.decode_s}};
  append(j.dump());
}

int ManifestWriter::record_done(const std::vector<PlanItem>& plan) {
  std::set<std::string> recorded;
  std::vector<std::string> bad;
  for (const auto& e : read_manifest(path_, &bad)) recorded.insert(e.path);
  int added = 0;
  for (const auto& item : plan) {
    if (!item.done) continue;
    for (size_t i = 0; i < item.outputs.size(); ++i) {
      if (recorded.count(item.outputs[i])) continue;
      ManifestEntry e;
      e.index = item.index;
      e.image = static_cast<int>(i);
      e.images = static_cast<int>(item.outputs.size());
      e.line = item.line;
      e.path = item.outputs[i];
      e.sha256 = io::hash_file(e.path, false).file;
      try {
        e.seed = read_recorded(e.path).request.sampling.seed;  // the seed the image records (metadata may be off)
      } catch (const Error&) {
      }
      e.shard = shard_;
      e.command = command_;
      e.recovered = true;
      append(entry_json(e).dump());
      ++added;
    }
  }
  return added;
}

std::vector<ManifestEntry> read_manifest(const std::string& path, std::vector<std::string>* bad) {
  std::vector<ManifestEntry> entries;
  std::ifstream in(path);
  int number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    if (line.empty()) continue;
    const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    try {
      if (j.is_discarded() || !j.is_object()) throw std::runtime_error("not a JSON object");
      ManifestEntry e;
      e.index = j.at("index").get<int>();
      e.image = j.at("image").get<int>();
      e.images = j.value("images", 1);
      e.line = j.value("line", 0);
      if (j.contains("seed") && j["seed"].is_number_unsigned()) e.seed = j["seed"].get<uint64_t>();
      e.path = j.at("path").get<std::string>();
      e.sha256 = j.at("sha256").get<std::string>();
      e.command = j.value("command", "");
      e.shard = j.value("shard", "");
      e.recovered = j.value("recovered", false);
      entries.push_back(std::move(e));
    } catch (const std::exception& ex) {
      if (bad) bad->push_back(path + ":" + std::to_string(number) + ": not a manifest entry (" + ex.what() + ")");
    }
  }
  return entries;
}

}  // namespace sdxl::batch
