#include "batch/plan.h"
#include "batch/shard_env.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <random>

#include "common/error.h"
#include "io/output_naming.h"
#include "io/png.h"
#include "io/prompt_file.h"
#include "pipeline/aspect_buckets.h"

namespace sdxl::batch {
namespace {

bool exists(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0;
}

std::string join_path(const std::string& dir, const std::string& name) {
  if (dir.empty() || dir == ".") return name;
  return dir.back() == '/' ? dir + name : dir + "/" + name;
}

std::string size_text(const Size& s) { return std::to_string(s.width) + "x" + std::to_string(s.height); }

// bucket: the recorded request holds the snapped size, so the PNG metadata reproduces the image.
void snap_to_bucket(GenerationRequest& r, std::vector<std::string>* notes) {
  if (!r.bucket) return;
  const Size snapped = nearest_bucket(r.size);
  if (notes) notes->push_back("note: bucket: " + size_text(r.size) + " -> " + size_text(snapped) + " (nearest SDXL bucket)");
  r.size = snapped;
  r.bucket = false;
}

// img2img: the init image must be readable now, not after the models load; without a chosen size the
// output takes the image's size (its multiple-of-8 check follows in validate()).
void apply_init_image(GenerationRequest& r, bool size_given, std::vector<std::string>& notes) {
  if (!r.init_image) return;
  io::Image image;
  try {
    image = io::read_png(*r.init_image);
  } catch (const Error& e) {
    throw input_error("init_image", e.what());
  }
  const Size image_size{image.height, image.width};
  if (!size_given) {
    if (!(r.size == image_size)) notes.push_back("note: size: " + size_text(image_size) + " from the init image");
    r.size = image_size;
  } else if (!(r.size == image_size)) {
    throw usage_error("size", size_text(r.size) + " differs from the init image " + *r.init_image + " (" +
                                  size_text(image_size) + "); resize the image or leave the size out to use its own");
  }
}

// Everything the planner fills in or checks on one item's request, in the order a single run applies it.
void prepare_request(PlanItem& item, bool size_given) {
  snap_to_bucket(item.request, &item.notes);
  apply_init_image(item.request, size_given, item.notes);
  if (!item.request.seed) item.request.seed = random_seed();
  validate(item.request);
  for (const auto& w : size_warnings(item.request.size)) item.notes.push_back("warning: " + w);
}

// Output names for every image of `item`: {index} is the item's line-stable index, {image} the image
// within the item.
void name_outputs(PlanItem& item, const OutputOptions& out, const std::string& model_name,
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
      f.index = item.index;
      f.image = i;
      f.seed = *r.seed + (r.batch_noise == BatchNoise::PerImage ? static_cast<uint64_t>(i) : 0);
      f.prompt = r.prompt;
      f.steps = r.steps;
      f.sampler = to_string(r.sampler);
      f.cfg = r.cfg;
      f.width = r.size.width;
      f.height = r.size.height;
      f.model = model_name;
      path = join_path(out.out_dir, io::render_name(out.name_template, f));
    }
    item.outputs.push_back(path);
  }
  item.named_explicitly = !explicit_out.empty();
}

std::string describe(const PlanItem& item, int image) {
  std::string s = "item " + std::to_string(item.index);
  if (item.line) s += " (line " + std::to_string(item.line) + ")";
  return s + " image " + std::to_string(image);
}

// Two images of one run must never share a file: the second would silently replace the first.
void check_collisions(const std::vector<PlanItem>& items, const OutputOptions& out) {
  std::map<std::string, std::pair<const PlanItem*, int>> seen;
  for (const auto& item : items)
    for (size_t i = 0; i < item.outputs.size(); ++i) {
      auto [it, fresh] = seen.emplace(item.outputs[i], std::pair{&item, static_cast<int>(i)});
      if (fresh) continue;
      const bool templated = !item.named_explicitly;
      const std::string field = templated ? "name" : "out";
      const std::string what = templated ? "'" + out.name_template + "'" : "'out'";
      throw Error(ErrorCategory::Output, field,
                  what + " gives " + describe(*it->second.first, it->second.second) + " and " +
                      describe(item, static_cast<int>(i)) + " the same file " + item.outputs[i] +
                      " (add {image}, {index} or {seed} to make the names distinct)");
    }
}

void mark_done_and_existing(std::vector<PlanItem>& items, const OutputOptions& out) {
  if (!out.resume) return;
  for (auto& item : items) {
    if (!item.error.empty()) continue;
    bool all = !item.outputs.empty();
    for (const auto& p : item.outputs) all = all && exists(p);
    item.done = all;
  }
}

}  // namespace

std::pair<int, int> parse_shard(const std::string& text) {
  if (text.rfind("auto", 0) == 0) return shard_from_environment(text, [](const char* name) { return std::getenv(name); });
  auto slash = text.find('/');
  try {
    if (slash == std::string::npos) throw std::invalid_argument("no slash");
    size_t a = 0, b = 0;
    int k = std::stoi(text.substr(0, slash), &a);
    int n = std::stoi(text.substr(slash + 1), &b);
    if (a != slash || b != text.size() - slash - 1 || n < 1 || k < 0 || k >= n) throw std::invalid_argument("range");
    return {k, n};
  } catch (const std::exception&) {
    throw usage_error("shard", "expected K/N with 0 <= K < N, got '" + text + "'");
  }
}

uint64_t random_seed() {
  std::random_device rd;
  return (static_cast<uint64_t>(rd()) << 32 | rd()) & ((1ull << 53) - 1);  // JSON-safe integer
}

std::vector<PlanItem> plan_single(const PlanBase& base, const OutputOptions& out) {
  PlanItem item;
  item.request = base.request;
  prepare_request(item, base.size_given);
  name_outputs(item, out, base.model_name, out.out);
  std::vector<PlanItem> items{item};
  check_collisions(items, out);
  mark_done_and_existing(items, out);
  return items;
}

std::vector<PlanItem> plan_prompt_file(const std::string& path, const PlanBase& base, const OutputOptions& out) {
  {
    // The defaults themselves must be valid (a bad flag is one error, not one per line).
    GenerationRequest defaults = base.request;
    snap_to_bucket(defaults, nullptr);
    validate(defaults);
  }
  std::set<std::string> allowed = request_fields();
  allowed.insert("out");
  std::vector<PlanItem> items;
  int index = 0;
  for (const auto& line : io::parse_prompt_file(path, allowed)) {
    PlanItem item;
    item.line = line.line_number;
    item.index = index++;  // bad lines too: fixing one later must not rename the items after it
    if (!line.error.empty()) {
      item.error = line.error;
    } else {
      try {
        nlohmann::json fields = line.fields;
        std::string explicit_out;
        if (fields.contains("out")) {
          if (!fields["out"].is_string()) throw usage_error("out", "expected a file name");
          explicit_out = io::render_name(fields["out"].get<std::string>(), io::NameFields{});  // no escapes
          explicit_out = join_path(out.out_dir.empty() ? "." : out.out_dir, explicit_out);
          fields.erase("out");
        }
        item.request = request_from_json(fields, base.request);
        prepare_request(item, base.size_given || fields.contains("size"));
        name_outputs(item, out, base.model_name, explicit_out);
      } catch (const Error& e) {
        item.error = path + ":" + std::to_string(item.line) + ": " + e.what();
      }
    }
    items.push_back(std::move(item));
  }
  if (items.empty()) throw input_error("prompt_file", path + " has no prompts (only blank or comment lines)");
  check_collisions(items, out);  // over every shard: shards share one output folder
  std::vector<PlanItem> shard;
  for (auto& item : items)
    if (item.index % out.shard_count == out.shard_index) shard.push_back(std::move(item));
  mark_done_and_existing(shard, out);
  return shard;
}

void prepare_output_dir(const std::string& dir, const std::string& field) {
  const std::string d = dir.empty() ? "." : dir;
  // mkdir -p: each missing parent in turn, so the failing one is named with its reason.
  for (size_t pos = 1; pos <= d.size(); ++pos) {
    if (pos != d.size() && d[pos] != '/') continue;
    const std::string prefix = d.substr(0, pos);
    struct stat st {};
    if (stat(prefix.c_str(), &st) == 0) {
      if (!S_ISDIR(st.st_mode)) throw Error(ErrorCategory::Output, field, prefix + " is not a folder");
      continue;
    }
    if (mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST)
      throw Error(ErrorCategory::Output, field, "cannot create folder " + prefix + ": " + std::strerror(errno));
  }
  if (access(d.c_str(), W_OK) != 0)
    throw Error(ErrorCategory::Output, field, "folder " + d + " is not writable: " + std::strerror(errno));
}

std::vector<std::string> existing_outputs(const std::vector<PlanItem>& plan) {
  std::vector<std::string> found;
  for (const auto& item : plan)
    if (item.error.empty() && !item.done)
      for (const auto& p : item.outputs)
        if (exists(p)) found.push_back(p);
  return found;
}

int pending_items(const std::vector<PlanItem>& plan) {
  int n = 0;
  for (const auto& item : plan) n += item.error.empty() && !item.done;
  return n;
}

}  // namespace sdxl::batch
