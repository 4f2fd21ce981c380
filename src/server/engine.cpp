#include "server/engine.h"

#include "adapters/folder_files.h"
#include "common/error.h"
#include "pipeline/png_metadata.h"
#include "run/model_path.h"

namespace sdxl::server {
namespace {

// The run layer reports a failed item with the exception it caught; the job fails with it, as an
// sdxl::Error (its category decides the HTTP status).
Error as_error(const std::exception& e) {
  if (const auto* error = dynamic_cast<const Error*>(&e)) return *error;
  return Error(ErrorCategory::Generation, "", e.what());
}

}  // namespace

Engine::Engine(EngineOptions options) : options_(std::move(options)) {
  PipelineOptions resolved = options_.pipeline;
  startup_path_ = resolve_model_path(options_.pipeline.model, &resolved.config_dir);
  resolved.model = startup_path_;
  defaults_ = model_default_request(resolved);  // headers only: the mappings need it before the load
}

Engine::~Engine() = default;

std::vector<Checkpoint> Engine::checkpoints() const {
  std::vector<Checkpoint> list = {{model_display_name(startup_path_), startup_path_}};
  if (!options_.models_dir.empty())
    for (const auto& p : safetensors_files_under(options_.models_dir)) {
      Checkpoint c{model_display_name(p.string()), p.string()};
      bool taken = false;
      for (const auto& e : list) taken = taken || e.name == c.name || e.path == c.path;
      if (!taken) list.push_back(c);
    }
  return list;
}

std::string Engine::current_checkpoint() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return current_.name;
}

bool Engine::loading() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return loading_;
}

GenerationRequest Engine::model_defaults() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return defaults_;
}

double Engine::load_s() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return load_s_;
}

void Engine::load(const Checkpoint& c) {
  {
    // Until the load succeeds no checkpoint is current, so a failed switch is retried by the next request
    // that names one (or goes back to the startup model).
    std::lock_guard<std::mutex> lock(mutex_);
    current_ = Checkpoint{};
    loading_ = true;
  }
  PipelineOptions o = options_.pipeline;
  if (c.path != startup_path_) o.model = c.path;
  GenerationRequest defaults;
  try {
    models_.load(o);  // the old set is released before the new one loads
    defaults = model_default_request(models_.options());
  } catch (...) {
    std::lock_guard<std::mutex> lock(mutex_);
    loading_ = false;
    throw;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  loading_ = false;
  defaults_ = defaults;
  current_ = c;
  load_s_ = models_.load_s();
}

void Engine::switch_to(const std::string& name) {
  if (name.empty()) {
    if (!models_.loaded()) load(checkpoints().front());  // first use, or the last switch failed
    return;
  }
  for (const auto& c : checkpoints())
    if (c.name == name || c.path == name) {
      if (!models_.loaded() || c.name != current_checkpoint()) load(c);
      return;
    }
  std::string names;
  for (const auto& c : checkpoints()) names += (names.empty() ? "" : ", ") + c.name;
  throw usage_error("sd_model_checkpoint", "unknown checkpoint '" + name + "' (available: " + names + ")");
}

std::optional<JobImage> Engine::generate(const Job& job, int index, const std::function<void(const Progress&)>& progress,
                                         const std::function<bool()>& cancelled) {
  Checkpoint current;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    current = current_;
  }
  if (current.path.empty()) throw Error(ErrorCategory::Generation, "", "no model is loaded (the last switch failed)");
  GenerationRequest r = job.request;
  r.sampling.num_images = 1;
  r.sampling.seed = *job.request.sampling.seed + static_cast<uint64_t>(index);
  // The progress endpoint's previews: in memory (OutputOptions::in_memory), never written nor recorded.
  r.output.preview = "server-preview";
  r.output.preview_every = 1;

  RunSpec spec;
  spec.defaults = r;
  // The fields the mapping decided that Run::prepare would otherwise choose itself: the sampler and Karras
  // (the web UI's scheduler rules, not the model's), and the size (img2img's image is already at it).
  const nlohmann::json all = to_json(r);
  for (const char* key : {"prompt", "sampler", "karras", "size"}) spec.given[key] = all.at(key);
  spec.pipeline = options_.pipeline;  // the startup model as the user named it (recorded so in the PNG)
  if (current.path != startup_path_) spec.pipeline.model = current.path;
  spec.output.in_memory = true;
  spec.version = options_.version;

  std::optional<JobImage> out;
  std::optional<Error> failure;
  std::vector<std::string> warnings;
  RunEvents events;
  events.progress = [&](const RunItem&, const Progress& p) {
    if (progress) progress(p);
  };
  events.cancelled = cancelled;
  events.image_written = [&](const ImageWritten& w) {
    JobImage im;
    im.png = std::string(w.png);
    im.seed = w.seed;
    for (const auto& [key, value] : w.text)
      if (key == "parameters") im.parameters = value;
    im.request = w.result.request;
    im.request.output.preview.reset();
    im.request.output.preview_every = OutputParams{}.preview_every;
    out = std::move(im);
  };
  events.item_failed = [&](const RunItem&, const std::exception& e) { failure = as_error(e); };
  events.note = [&](const RunNote& n) {
    if (n.kind == RunNote::Warning) warnings.push_back(n.text);
  };
  Run run;
  for (const auto& n : run.prepare(spec).notes)
    if (n.kind == RunNote::Warning) warnings.push_back(n.text);
  const RunSummary summary = run.execute(events, &models_);
  if (failure) throw *failure;
  if (summary.abandoned || !out) return std::nullopt;
  out->warnings = std::move(warnings);
  return out;
}

}  // namespace sdxl::server
