#include "batch/batch_status.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <map>
#include <regex>
#include <set>

#include "batch/manifest.h"
#include "common/error.h"
#include "io/png.h"
#include "io/prompt_file.h"
#include "io/sha256.h"
#include "sdxl/request.h"

namespace sdxl::batch {
namespace {

struct ManifestFile {
  std::string path;
  int k = 0, n = 0;
};

std::vector<ManifestFile> find_manifests(const std::string& dir) {
  std::vector<ManifestFile> found;
  static const std::regex name("manifest-([0-9]+)-of-([0-9]+)\\.jsonl");
  DIR* d = opendir(dir.empty() ? "." : dir.c_str());
  if (!d) return found;
  while (const dirent* e = readdir(d)) {
    std::smatch m;
    const std::string n = e->d_name;
    if (std::regex_match(n, m, name))
      found.push_back({(dir.empty() ? "." : dir) + "/" + n, std::stoi(m[1].str()), std::stoi(m[2].str())});
  }
  closedir(d);
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
  return found;
}

bool is_file(const std::string& p) {
  struct stat st {};
  return stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// What is wrong with one recorded image, or "" when it is there, unchanged and decodes.
std::string image_problem(const ManifestEntry& e) {
  if (!is_file(e.path)) return "missing";
  if (io::hash_file(e.path, false).file != e.sha256) return "corrupt";
  try {
    io::read_png(e.path);
  } catch (const std::exception&) {
    return "corrupt";
  }
  return "";
}

}  // namespace

int BatchStatus::count(const std::string& state) const {
  return static_cast<int>(std::count_if(items.begin(), items.end(), [&](const auto& i) { return i.state == state; }));
}

bool BatchStatus::complete() const { return problems.empty() && count("done") == static_cast<int>(items.size()); }

BatchStatus batch_status(const std::string& prompt_file, const std::string& out_dir, int shards) {
  std::set<std::string> allowed = request_fields();
  allowed.insert("out");
  const auto lines = io::parse_prompt_file(prompt_file, allowed);
  if (lines.empty()) throw input_error("prompt_file", prompt_file + " has no prompts (only blank or comment lines)");

  BatchStatus status;
  const auto manifests = find_manifests(out_dir);
  if (shards == 0) {
    shards = manifests.empty() ? 1 : manifests.front().n;
    for (const auto& m : manifests)
      if (m.n != shards)
        throw usage_error("shards", "the manifests in " + out_dir + " come from runs with different shard counts (" +
                                        std::to_string(shards) + " and " + std::to_string(m.n) + "): give --shards N");
  }
  status.shards = shards;
  std::map<int, std::vector<ManifestEntry>> by_index;
  std::map<int, std::string> command_of_shard;
  for (const auto& m : manifests) {
    if (m.n != shards) {
      status.problems.push_back(m.path + " is from a run with " + std::to_string(m.n) + " shards, not " +
                                std::to_string(shards));
      continue;
    }
    status.manifests.push_back(m.path);
    for (auto& e : read_manifest(m.path, &status.problems)) {
      if (!e.command.empty()) command_of_shard[m.k] = e.command;
      by_index[e.index].push_back(std::move(e));
    }
  }

  std::set<int> unfinished_shards;
  for (size_t i = 0; i < lines.size(); ++i) {
    ItemStatus s;
    s.index = static_cast<int>(i);
    s.line = lines[i].line_number;
    s.shard = s.index % shards;
    const auto& entries = by_index[s.index];
    if (!lines[i].error.empty()) {
      s.state = "invalid";
      s.detail = lines[i].error;
    } else if (entries.empty()) {
      s.state = "missing";
    } else {
      const int images = entries.front().images;
      std::map<int, std::vector<const ManifestEntry*>> by_image;
      for (const auto& e : entries) by_image[e.image].push_back(&e);
      s.state = "done";
      for (int im = 0; im < images && s.state == "done"; ++im) {
        const auto& recs = by_image[im];
        if (recs.empty()) {
          s.state = "missing";
          s.detail = "image " + std::to_string(im) + " not recorded";
        } else if (recs.size() > 1) {
          s.state = "duplicated";
          s.detail = "image " + std::to_string(im) + " recorded " + std::to_string(recs.size()) + " times:";
          for (const auto* r : recs) s.detail += " " + r->path + " (shard " + r->shard + ")";
        } else if (const std::string p = image_problem(*recs.front()); !p.empty()) {
          s.state = p;
          s.detail = recs.front()->path + (p == "missing" ? " is gone" : " differs from its recorded sha256 or does not decode (remove it, then --resume)");
        }
      }
    }
    if (s.state == "missing" || s.state == "corrupt") unfinished_shards.insert(s.shard);
    status.items.push_back(std::move(s));
  }
  for (int k : unfinished_shards) {
    std::string cmd = command_of_shard.count(k) ? command_of_shard[k]
                                                 : "sdxl-gen --prompt-file " + prompt_file + " --out-dir " + out_dir +
                                                       (shards > 1 ? " --shard " + std::to_string(k) + "/" +
                                                                         std::to_string(shards)
                                                                   : "") +
                                                       " --resume  (with the run's other flags)";
    status.resume_commands.push_back(cmd);
  }
  return status;
}

}  // namespace sdxl::batch
