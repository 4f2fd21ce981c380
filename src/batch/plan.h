// A batch plan: the list of requests to run (one per prompt-file line, or the single CLI request), each with
// its output paths, after sharding and resume. Planned before any model loads, so bad lines are reported
// up front and a resumed batch knows what is already done.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "sdxl/request.h"

namespace sdxl::cli {

struct OutputOptions {
  std::string out;            // single output file (--out)
  std::string out_dir = ".";  // batch output folder (--out-dir)
  std::string name_template = "{index:05d}-{seed}-{prompt:.40}.png";
  bool overwrite = false, resume = false;
  int shard_index = 0, shard_count = 1;  // --shard K/N
};

struct PlanItem {
  int line = 0;                    // prompt-file line (0 for a single request)
  int index = 0;                   // item position in the whole file (before sharding)
  GenerationRequest request;       // seed always filled in
  std::vector<std::string> outputs;  // one PNG path per image
  std::string error;               // invalid line: reported, not run
  bool done = false;               // --resume: every output exists already
};

// Parses "K/N" (0 <= K < N).
std::pair<int, int> parse_shard(const std::string& text);

// One item from the CLI request (no prompt file).
std::vector<PlanItem> plan_single(const GenerationRequest& request, const OutputOptions& out,
                                  const std::string& model_name);
// Items from a .txt/.jsonl prompt file; every line overrides the CLI defaults in `base`.
std::vector<PlanItem> plan_prompt_file(const std::string& path, const GenerationRequest& base,
                                       const OutputOptions& out, const std::string& model_name);

// A seed for requests that have none: random, from the OS.
uint64_t random_seed();

}  // namespace sdxl::cli
