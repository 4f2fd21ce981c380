// The batch manifest: every shard of a prompt-file run appends one JSON line per finished image to its own
// `manifest-K-of-N.jsonl` in the output folder (index, image, seed, path, sha256, timings, the command that
// continues the run), each line in one O_APPEND write followed by fsync, so a line is either whole or absent
// even when the process is killed and other shards append to their own files at the same time.
// `sdxl-gen batch-status` (batch/batch_status.h) reads the manifests back.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "batch/plan.h"
#include "batch/runner.h"

namespace sdxl::batch {

// "manifest-K-of-N.jsonl"
std::string manifest_name(int shard_index, int shard_count);

struct ManifestEntry {
  int index = -1;      // item in the prompt file (bad lines counted, as in --name's {index})
  int image = 0;       // image within the item
  int images = 1;      // the item's image count
  int line = 0;        // prompt-file line
  std::optional<uint64_t> seed;
  std::string path, sha256, command, shard;
  bool recovered = false;  // recorded by --resume for an image found on disk without a line (killed in between)
};

class ManifestWriter {
 public:
  // `command` is the command line that continues this shard's run (with --resume).
  ManifestWriter(const std::string& out_dir, int shard_index, int shard_count, std::string command);
  const std::string& path() const { return path_; }
  // Appends the line of one written image.
  void record(const WrittenImage& w);
  // Items already done (resume) whose images have no line in this shard's manifest: the process was killed
  // after writing the PNG and before its line. Records them (sha256 of the file on disk); returns how many.
  int record_done(const std::vector<PlanItem>& plan);

 private:
  void append(const std::string& line);
  std::string path_, command_, shard_;
};

// Reads one manifest; lines that are not a manifest entry are returned in `bad` ("FILE:LINE: why").
std::vector<ManifestEntry> read_manifest(const std::string& path, std::vector<std::string>* bad);

}  // namespace sdxl::batch
