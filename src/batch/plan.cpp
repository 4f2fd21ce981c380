#include "batch/plan.h"
#include "batch/shard_env.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <optional>
#include <random>
#include <set>

#include "common/error.h"
#include "io/output_naming.h"
#include "io/paths.h"
#include "io/png.h"
#include "io/prompt_file.h"
#include "pipeline/aspect_buckets.h"
#include "pipeline/input_image.h"

namespace sdxl::batch {
namespace {

using io::join_path;

bool exists(const std::string& path) { return io::path_exists(path); }

std::string size_text(const Size& s) { return std::to_string(s.width) + "x" + std::to_string(s.height); }

// bucket: the recorded request holds the snapped size, so the PNG metadata reproduces the image.
void snap_to_bucket(GenerationRequest& r, std::vector<std::string>* notes) {
  if (!r.sampling.bucket) return;
  const Size snapped = nearest_bucket(r.sampling.size);
  if (notes)
    notes->push_back("note: bucket: " + size_text(r.sampling.size) + " -> " + size_text(snapped) +
                     " (nearest SDXL bucket)");
  r.sampling.size = snapped;
  r.sampling.bucket = false;
}

// img2img: the init image must be readable now, not after the models load; without a chosen size the
// output takes the image's size (its multiple-of-8 check follows in validate()).
void apply_init_image(GenerationRequest& r, bool size_given, std::vector<std::string>& notes) {
  if (!r.img2img.init_image) return;
  io::Image image;
  try {
    image = read_input_image(r, *r.img2img.init_image);
  } catch (const Error& e) {
    throw input_error("init_image", e.what());
  }
  const Size image_size{image.height, image.width};
  if (!size_given) {
    if (!(r.sampling.size == image_size))
      notes.push_back("note: size: " + size_text(image_size) + " from the init image");
    r.sampling.size = image_size;
  } else if (!(r.sampling.size == image_size) && !r.inpaint.full_res) {  // full-res inpainting: any image size
    throw usage_error("size", size_text(r.sampling.size) + " differs from the init image " + *r.img2img.init_image +
                                  " (" + size_text(image_size) +
                                  "); resize the image or leave the size out to use its own");
  }
}

// Everything the planner fills in or checks on one item's request, in the order a single run applies it.
void prepare_request(PlanItem& item, bool size_given) {
  snap_to_bucket(item.request, &item.notes);
  apply_init_image(item.request, size_given, item.notes);
  if (!item.request.sampling.seed) item.request.sampling.seed = random_seed();
  validate(item.request);
  for (const auto& w : size_warnings(item.request.sampling.size)) item.notes.push_back("warning: " + w);
}

// How an item's images are named: a fixed file (--out: image.png, or image_0.png, image_1.png for
// several images), or a template rendered with the item's fields in `dir` (--name, or a jsonl line's
// "out"), where images whose names coincide get the same _i suffix.
struct Naming {
  std::string file;      // the single request's output file ("" = a template)
  std::string tmpl;      // the template
  std::string dir;       // the folder template names go to
  std::string field;     // the field a bad template is reported under ("name" or "out")
  std::string model_name;
};

std::string with_image_suffix(const std::string& path, int i) {  // image.png -> image_0.png
  auto dot = path.rfind('.');
  auto slash = path.rfind('/');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) dot = path.size();
  return path.substr(0, dot) + "_" + std::to_string(i) + path.substr(dot);
}

// Image i's name fields: {seed} is the image's own seed (seed + i with per-image noise).
io::NameFields name_fields(const PlanItem& item, int i, uint64_t seed, const std::string& model_name) {
  const GenerationRequest& r = item.request;
  io::NameFields f;
  f.index = item.index;
  f.image = i;
  f.seed = seed + (r.sampling.batch_noise == BatchNoise::PerImage ? static_cast<uint64_t>(i) : 0);
  f.prompt = r.text.prompt;
  f.steps = r.sampling.steps;
  f.sampler = to_string(r.sampling.sampler);
  f.cfg = r.sampling.cfg;
  f.width = r.sampling.size.width;
  f.height = r.sampling.size.height;
  f.model = model_name;
  return f;
}

std::string render(const Naming& naming, const std::string& tmpl, const io::NameFields& f) {
  try {
    return join_path(naming.dir, io::render_name(tmpl, f));
  } catch (const Error& e) {
    throw usage_error(naming.field, e.detail());
  }
}

// The default template names a shared-noise batch's images alike (they share the item's seed): it then
// numbers them with {image}, so the default gives distinct names in every mode.
std::string template_for(const Naming& naming, const GenerationRequest& r) {
  if (naming.field == "name" && naming.tmpl == OutputOptions{}.name_template && r.sampling.num_images > 1 &&
      r.sampling.batch_noise == BatchNoise::Shared)
    return "{index:05d}-{seed}-{image}-{prompt:.40}.png";
  return naming.tmpl;
}

std::vector<std::string> output_names(const PlanItem& item, uint64_t seed, const Naming& naming) {
  const int n = item.request.sampling.num_images;
  std::vector<std::string> paths;
  for (int i = 0; i < n; ++i)
    paths.push_back(!naming.file.empty() ? (n > 1 ? with_image_suffix(naming.file, i) : naming.file)
                                         : render(naming, template_for(naming, item.request),
                                                  name_fields(item, i, seed, naming.model_name)));
  // A jsonl "out" without per-image fields names every image alike: number them as --out does.
  if (naming.file.empty() && naming.field == "out" && n > 1 && std::set<std::string>(paths.begin(), paths.end()).size() == 1)
    for (int i = 0; i < n; ++i) paths[static_cast<size_t>(i)] = with_image_suffix(paths[static_cast<size_t>(i)], i);
  return paths;
}

void name_outputs(PlanItem& item, const Naming& naming) {
  item.outputs = output_names(item, *item.request.sampling.seed, naming);
  if (item.only_image >= 0)
    item.outputs = {naming.file.empty() ? item.outputs.at(static_cast<size_t>(item.only_image)) : naming.file};
  item.named_explicitly = naming.field == "out";
}

// Resume of an item whose seed was drawn at random: its earlier run drew another seed, which its file
// names hold. Finds a seed whose names all exist in the output folder (or, failing that, whose first
// image exists, so the rest are made with the same seed) and adopts it.
void find_drawn_seed(PlanItem& item, const Naming& naming) {
  if (!naming.file.empty()) return;
  const std::string a = output_names(item, 0, naming)[0], b = output_names(item, 1234567, naming)[0];
  if (a == b) return;  // the names do not depend on the seed
  size_t pre = 0;
  while (pre < a.size() && pre < b.size() && a[pre] == b[pre]) ++pre;
  size_t suf = 0;
  while (suf < a.size() - pre && suf < b.size() - pre && a[a.size() - 1 - suf] == b[b.size() - 1 - suf]) ++suf;
  const std::string prefix = a.substr(0, pre), suffix = a.substr(a.size() - suf);
  const std::string dir = io::parent_dir(a);
  std::optional<uint64_t> partial;
  for (const std::string& name : io::list_dir(dir)) {
    const std::string path = join_path(naming.dir, name);
    if (path.size() <= prefix.size() + suffix.size() || path.compare(0, prefix.size(), prefix) != 0 ||
        path.compare(path.size() - suffix.size(), suffix.size(), suffix) != 0)
      continue;
    const std::string digits = path.substr(prefix.size(), path.size() - prefix.size() - suffix.size());
    if (digits.empty() || digits.size() > 16 || digits.find_first_not_of("0123456789") != std::string::npos) continue;
    const uint64_t seed = std::stoull(digits);
    const std::vector<std::string> names = output_names(item, seed, naming);
    if (names[0] != path) continue;
    bool all = true;
    for (const auto& p : names) all = all && exists(p);
    if (all) {
      item.request.sampling.seed = seed;
      item.outputs = names;
      return;
    }
    if (!partial) partial = seed;
  }
  if (partial) {
    item.request.sampling.seed = *partial;
    item.outputs = output_names(item, *partial, naming);
  }
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

void mark_done_and_existing(std::vector<PlanItem>& items, const OutputOptions& out,
                            const std::vector<std::optional<Naming>>& drawn) {
  if (!out.resume) return;
  for (size_t k = 0; k < items.size(); ++k) {
    PlanItem& item = items[k];
    if (!item.error.empty()) continue;
    if (drawn[k]) find_drawn_seed(item, *drawn[k]);
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
  if (base.only_image >= 0 && base.only_image < item.request.sampling.num_images) item.only_image = base.only_image;
  prepare_request(item, base.size_given);
  const Naming naming{out.out, out.name_template, out.out_dir, "name", base.model_name};
  name_outputs(item, naming);
  std::vector<PlanItem> items{item};
  check_collisions(items, out);
  mark_done_and_existing(items, out, {base.request.sampling.seed ? std::nullopt : std::optional<Naming>(naming)});
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
  std::vector<std::optional<Naming>> drawn;  // per item: how it is named, when its seed was drawn
  int index = 0;
  for (const auto& line : io::parse_prompt_file(path, allowed)) {
    PlanItem item;
    item.line = line.line_number;
    item.index = index++;  // bad lines too: fixing one later must not rename the items after it
    std::optional<Naming> drawn_naming;
    if (!line.error.empty()) {
      item.error = line.error;
    } else {
      try {
        nlohmann::json fields = line.fields;
        // A line's "out" is a name template rendered with the item's fields, as --name is.
        Naming naming{"", out.name_template, out.out_dir, "name", base.model_name};
        if (fields.contains("out")) {
          if (!fields["out"].is_string()) throw usage_error("out", "expected a file name");
          naming.tmpl = fields["out"].get<std::string>();
          naming.field = "out";
          fields.erase("out");
        }
        item.request = request_from_json(fields, base.request);
        prepare_request(item, base.size_given || fields.contains("size"));
        name_outputs(item, naming);
        if (!fields.contains("seed") && !base.request.sampling.seed) drawn_naming = naming;
      } catch (const Error& e) {
        item.error = path + ":" + std::to_string(item.line) + ": " + e.what();
      }
    }
    items.push_back(std::move(item));
    drawn.push_back(drawn_naming);
  }
  if (items.empty()) throw input_error("prompt_file", path + " has no prompts (only blank or comment lines)");
  check_collisions(items, out);  // over every shard: shards share one output folder
  std::vector<PlanItem> shard;
  std::vector<std::optional<Naming>> shard_drawn;
  for (size_t k = 0; k < items.size(); ++k)
    if (items[k].index % out.shard_count == out.shard_index) {
      shard.push_back(std::move(items[k]));
      shard_drawn.push_back(drawn[k]);
    }
  mark_done_and_existing(shard, out, shard_drawn);
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
