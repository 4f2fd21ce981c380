// `sdxl-gen batch-status --prompt-file F --out-dir D [--shards N] [--json]`: whether every item of a
// (sharded) batch was made exactly once (batch/batch_status.h); exit 0 only when it is complete, and for
// each shard with unfinished items the command that continues it.
#include <iostream>

#include "batch/batch_status.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"

namespace sdxl::cli {
namespace {

struct BatchStatusFlags {
  std::string prompt_file, out_dir = ".";
  int shards = 0;
  bool json = false;
};

int run_batch_status(const BatchStatusFlags& f) {
  if (f.shards < 0) throw UsageError("--shards: must be at least 1, got " + std::to_string(f.shards));
  const batch::BatchStatus s = batch::batch_status(f.prompt_file, f.out_dir, f.shards);
  if (f.json) {
    nlohmann::json j = {{"complete", s.complete()}, {"shards", s.shards}, {"manifests", s.manifests},
                        {"problems", s.problems}, {"resume", s.resume_commands}};
    for (const char* state : {"done", "missing", "duplicated", "corrupt", "invalid"}) j[state] = s.count(state);
    for (const auto& i : s.items)
      if (i.state != "done")
        j["unfinished"].push_back({{"index", i.index}, {"line", i.line}, {"state", i.state}, {"detail", i.detail},
                                   {"shard", i.shard}});
    std::cout << j.dump() << "\n";
    return s.complete() ? kOk : kFailed;
  }
  std::cout << f.prompt_file << ": " << s.items.size() << " items, " << s.shards << " shard(s), "
            << s.manifests.size() << " manifest(s) in " << f.out_dir << "\n";
  constexpr int kShown = 20;
  int shown = 0;
  for (const auto& i : s.items) {
    if (i.state == "done") continue;
    if (shown++ == kShown) std::cout << "  ...\n";
    if (shown > kShown) continue;
    std::cout << "  item " << i.index << " (line " << i.line << ", shard " << i.shard << "/" << s.shards << "): " << i.state
              << (i.detail.empty() ? "" : ": " + i.detail) << "\n";
  }
  for (const auto& p : s.problems) std::cout << "  problem: " << p << "\n";
  std::cout << "done " << s.count("done") << ", missing " << s.count("missing") << ", duplicated "
            << s.count("duplicated") << ", corrupt " << s.count("corrupt") << ", invalid " << s.count("invalid")
            << (s.complete() ? ": COMPLETE" : ": INCOMPLETE") << "\n";
  for (const auto& c : s.resume_commands) std::cout << "to continue: " << c << "\n";
  return s.complete() ? kOk : kFailed;
}

}  // namespace

Command add_batch_status(CLI::App& app) {
  auto f = std::make_shared<BatchStatusFlags>();
  auto* sub = app.add_subcommand("batch-status",
                                 "Is a (sharded) prompt-file batch complete? Reads the manifests and checks the files");
  sub->add_option("--prompt-file", f->prompt_file, "The batch's prompt file (.txt or .jsonl)")->required();
  sub->add_option("--out-dir", f->out_dir, "The batch's output folder (with its manifest-K-of-N.jsonl files)")
      ->capture_default_str();
  sub->add_option("--shards", f->shards, "Shard count N (default: from the manifests' names, else 1)");
  sub->add_flag("--json", f->json, "One JSON object instead of the text report");
  return Command{sub, [f] { return run_batch_status(*f); }};
}

}  // namespace sdxl::cli
