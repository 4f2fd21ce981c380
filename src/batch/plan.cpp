#include "cli/batch_plan.h"

#include <sys/stat.h>

#include <random>

#include "cli/exit_codes.h"
#include "io/output_naming.h"
#include "io/prompt_file.h"
#include "pipeline/aspect_buckets.h"

namespace sdxl::cli {
namespace {

bool exists(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0;
}

std::string join_path(const std::string& dir, const std::string& name) {
  if (dir.empty() || dir == ".") return name;
  return dir.back() == '/' ? dir + name : dir + "/" + name;
}

// Output names for every image of `item`; `first_image` is the running image count of the whole file.
void name_outputs(PlanItem& item, int first_image, const OutputOptions& out, const std::string& model_name,
                  const std::string& explicit_out) {
  const GenerationRequest& r = item.request;
  for (int i = 0; i < r.num_images; ++i) {
    std::string path;
    if (!explicit_out.empty()) {
      path = explicit_out;
      if (r.num_images > 1) {  // image.png -> image_0.png, image_1.png
        auto dot = path.rfind('.');
        auto slash = path.rfind('/');
        if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) dot = path.size();
        path = path.substr(0, dot) + "_" + std::to_string(i) + path.substr(dot);
      }
    } else {
      io::NameFields f;
      f.index = first_image + i;
      f.seed = *r.seed + (r.batch_noise == "per-image" ? static_cast<uint64_t>(i) : 0);
      f.prompt = r.prompt;
      f.steps = r.steps;
      f.sampler = r.sampler;
      f.cfg = r.cfg;
      f.width = r.size.width;
      f.height = r.size.height;
      f.model = model_name;
      path = join_path(out.out_dir, io::render_name(out.name_template, f));
    }
    item.outputs.push_back(path);
  }
}

void finish_plan(std::vector<PlanItem>& items, const OutputOptions& out) {
  for (auto& item : items) {
    if (!item.error.empty()) continue;
    bool all = !item.outputs.empty();
    for (const auto& p : item.outputs) all = all && exists(p);
    if (out.resume && all) {
      item.done = true;
    } else if (!out.overwrite && !out.resume) {
      for (const auto& p : item.outputs)
        if (exists(p)) item.error = p + " exists (use --overwrite to replace it or --resume to skip it)";
    }
  }
}

// --bucket: the recorded request holds the snapped size, so the PNG metadata reproduces the image.
void snap_to_bucket(GenerationRequest& r) {
  if (!r.bucket) return;
  r.size = nearest_bucket(r.size);
  r.bucket = false;
}

}  // namespace

std::pair<int, int> parse_shard(const std::string& text) {
  auto slash = text.find('/');
  try {
    if (slash == std::string::npos) throw std::invalid_argument("no slash");
    size_t a = 0, b = 0;
    int k = std::stoi(text.substr(0, slash), &a);
    int n = std::stoi(text.substr(slash + 1), &b);
    if (a != slash || b != text.size() - slash - 1 || n < 1 || k < 0 || k >= n) throw std::invalid_argument("range");
    return {k, n};
  } catch (const std::exception&) {
    throw UsageError("--shard: expected K/N with 0 <= K < N, got '" + text + "'");
  }
}

uint64_t random_seed() {
  std::random_device rd;
  return (static_cast<uint64_t>(rd()) << 32 | rd()) & ((1ull << 53) - 1);  // JSON-safe integer
}

std::vector<PlanItem> plan_single(const GenerationRequest& request, const OutputOptions& out,
                                  const std::string& model_name) {
  PlanItem item;
  item.request = request;
  snap_to_bucket(item.request);
  if (!item.request.seed) item.request.seed = random_seed();
  validate(item.request);
  name_outputs(item, 0, out, model_name, out.out);
  std::vector<PlanItem> items{item};
  finish_plan(items, out);
  return items;
}

std::vector<PlanItem> plan_prompt_file(const std::string& path, const GenerationRequest& base,
                                       const OutputOptions& out, const std::string& model_name) {
  std::set<std::string> allowed = request_fields();
  allowed.insert("out");
  std::vector<PlanItem> items;
  int image_count = 0;
  int index = 0;
  for (const auto& line : io::parse_prompt_file(path, allowed)) {
    PlanItem item;
    item.line = line.line_number;
    item.index = index++;
    if (!line.error.empty()) {
      item.error = line.error;
    } else {
      try {
        nlohmann::json fields = line.fields;
        std::string explicit_out;
        if (fields.contains("out")) {
          if (!fields["out"].is_string()) throw Error("out: expected a file name");
          explicit_out = io::render_name(fields["out"].get<std::string>(), io::NameFields{});  // no escapes
          explicit_out = (out.out_dir.empty() ? "." : out.out_dir) + "/" + explicit_out;
          fields.erase("out");
        }
        item.request = request_from_json(fields, base);
        snap_to_bucket(item.request);
        if (!item.request.seed) item.request.seed = random_seed();
        validate(item.request);
        name_outputs(item, image_count, out, model_name, explicit_out);
      } catch (const Error& e) {
        item.error = path + ":" + std::to_string(item.line) + ": " + e.what();
      }
    }
    if (item.error.empty()) image_count += item.request.num_images;
    items.push_back(std::move(item));
  }
  std::vector<PlanItem> shard;
  for (auto& item : items)
    if (item.index % out.shard_count == out.shard_index) shard.push_back(std::move(item));
  finish_plan(shard, out);
  return shard;
}

}  // namespace sdxl::cli
