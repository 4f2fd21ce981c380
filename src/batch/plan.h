// A batch plan: the list of requests to run (one per prompt-file item, or the single request), each with
// its output paths, after sharding and resume. Everything that can be checked without a model is checked
// here, before any model loads: bad lines, init images, colliding or existing outputs.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "sdxl/request.h"
#include "sdxl/run.h"

namespace sdxl::batch {

// The public run types (sdxl/run.h) are the plan's own: output options, and one item per request.
using OutputOptions = sdxl::OutputOptions;
using PlanItem = sdxl::RunItem;

// Where the request fields come from besides the defaults: `base` is the request of flags (and a
// recorded PNG); `size_given` says whether its size was chosen, else an init image's size is used.
struct PlanBase {
  GenerationRequest request;
  bool size_given = false;
  std::string model_name;  // for {model} in names
  int only_image = -1;     // RunItem::only_image of the single request
};

// Parses "K/N" (0 <= K < N).
std::pair<int, int> parse_shard(const std::string& text);

// One item from the request alone (no prompt file). Throws sdxl::Error for an invalid request.
std::vector<PlanItem> plan_single(const PlanBase& base, const OutputOptions& out);
// Items from a .txt/.jsonl prompt file; every item overrides the defaults in `base`. Bad items carry
// `error`; an unreadable or empty file, colliding names or existing outputs throw sdxl::Error.
std::vector<PlanItem> plan_prompt_file(const std::string& path, const PlanBase& base, const OutputOptions& out);

// Creates `dir` and its parents (mkdir -p) and checks that it is a writable folder; errors name `field`
// and give the system's reason.
void prepare_output_dir(const std::string& dir, const std::string& field);

// Outputs of items still to generate that exist already (the caller decides: overwrite, or refuse).
std::vector<std::string> existing_outputs(const std::vector<PlanItem>& plan);

// Items still to generate (valid and not done).
int pending_items(const std::vector<PlanItem>& plan);

// A seed for requests that have none: random, from the OS.
uint64_t random_seed();

}  // namespace sdxl::batch
