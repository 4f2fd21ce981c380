// `sdxl-gen batch-status`: is a (sharded) prompt-file batch complete? Reads the prompt file for the items,
// the manifests in the output folder (batch/manifest.h) for what each shard finished, and the files
// themselves: every item's images must be recorded exactly once, exist, have the recorded sha256 and decode.
#pragma once
#include <string>
#include <vector>

namespace sdxl::batch {

struct ItemStatus {
  int index = 0, line = 0;
  std::string state;   // "done", "missing", "duplicated", "corrupt", "invalid"
  std::string detail;  // what is wrong (the file, the lines that record it twice, the prompt-file error)
  int shard = 0;       // the shard that owns the item (index % shards)
};

struct BatchStatus {
  int shards = 1;
  std::vector<ItemStatus> items;                // one per prompt-file item, in file order
  std::vector<std::string> manifests;           // read
  std::vector<std::string> problems;            // bad manifest lines, manifests of another shard count
  std::vector<std::string> resume_commands;     // one per shard with unfinished items
  int count(const std::string& state) const;
  bool complete() const;                        // every item done and no problem
};

// `shards` = 0: from the manifests' names (all must agree), else 1. Throws sdxl::Error (input) for an
// unreadable prompt file.
BatchStatus batch_status(const std::string& prompt_file, const std::string& out_dir, int shards);

}  // namespace sdxl::batch
