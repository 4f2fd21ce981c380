#include "run/output_policy.h"

#include "common/strings.h"
#include "io/paths.h"

namespace sdxl {

std::string output_folder(const OutputOptions& out) {
  return out.out.empty() ? (out.out_dir.empty() ? "." : out.out_dir) : io::parent_dir(out.out);
}

void check_output_options(const RunSpec& spec) {
  const OutputOptions& o = spec.output;
  if (!spec.shard.empty() && spec.prompt_file.empty())
    throw usage_error("shard", "splits a prompt file's items; a single request is one item (give a prompt file)");
  if (o.out.empty()) return;
  if (!spec.prompt_file.empty()) throw usage_error("out", "names one file; a prompt file's images go to out_dir");
  if (io::is_dir(o.out)) throw usage_error("out", o.out + " is a folder; give a file name (or an out_dir)");
  if (!ends_with(ascii_lower(o.out), ".png")) throw usage_error("out", o.out + ": the output is a PNG; use a .png name");
  const std::string base = o.out.substr(o.out.rfind('/') + 1);
  if (base.size() <= 4 || base[0] == '.')
    throw usage_error("out", o.out + ": the file name is empty or starts with '.' (a hidden file); give a name");
}

void check_item_outputs(const RunItem& item) {
  const GenerationRequest& r = item.request;
  for (const auto& [field, path] :
       {std::pair{"preview", r.output.preview}, std::pair{"save_latents", r.output.save_latents}}) {
    if (!path) continue;
    if (io::is_dir(*path)) throw Error(ErrorCategory::Output, field, *path + " is a folder; give a file name");
    const std::string dir = io::parent_dir(*path);
    if (!io::is_dir(dir)) throw Error(ErrorCategory::Output, field, "folder " + dir + " does not exist");
    if (!io::is_writable_dir(dir)) throw Error(ErrorCategory::Output, field, "folder " + dir + " is not writable");
  }
}

void refuse_existing_outputs(const RunPlan& plan, const OutputOptions& out) {
  // Resume replaces an unfinished item's preview and latents along with its images.
  if (out.overwrite || out.resume) return;
  std::vector<std::string> existing;
  auto check = [&](const std::string& path) {
    if (io::path_exists(path)) existing.push_back(path);
  };
  for (const auto& item : plan.items) {
    if (!item.error.empty() || item.done) continue;
    for (const auto& p : item.outputs) check(p);
    if (item.request.output.preview) check(*item.request.output.preview);
    if (item.request.output.save_latents) check(*item.request.output.save_latents);
  }
  if (!plan.grid.empty() && plan.pending > 0) check(plan.grid);
  if (existing.empty()) return;
  throw Error(ErrorCategory::Output, "overwrite",
              existing[0] + " exists" +
                  (existing.size() > 1 ? " (and " + std::to_string(existing.size() - 1) + " more outputs)" : ""));
}

}  // namespace sdxl
