#include "server/engine.h"

#include <stdlib.h>
#include <unistd.h>


#include "adapters/folder_files.h"
#include "batch/recorded.h"
#include "common/error.h"
#include "common/stopwatch.h"

namespace sdxl::server {
namespace {

// The library reads init images and masks from files: each job's decoded inputs go to a private folder
// (mode 0700, under $TMPDIR) that is removed when the image is done. (Plain unlink/rmdir: libtorch exports an
// older std::filesystem::remove_all that the dynamic linker may pick instead of libstdc++'s, and it crashes.)
class ScratchDir {
 public:
  ScratchDir() {
    const char* tmp = getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/sdxl-serve-XXXXXX";
    if (!mkdtemp(pattern.data())) throw Error(ErrorCategory::Resource, "", "cannot create a scratch folder in " + pattern);
    path_ = pattern;
  }
  ~ScratchDir() {
    for (const auto& f : files_) unlink(f.c_str());
    rmdir(path_.c_str());
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  // A path in the folder for a file the caller writes next (removed with the folder).
  std::string file(const std::string& name) {
    files_.push_back(path_ + "/" + name);
    return files_.back();
  }

 private:
  std::string path_;
  std::vector<std::string> files_;
};

}  // namespace

Engine::Engine(EngineOptions options) : options_(std::move(options)) {
  load(Checkpoint{model_display_name(options_.pipeline.model), options_.pipeline.model});
}

Engine::~Engine() = default;

std::vector<Checkpoint> Engine::checkpoints() const {
  std::vector<Checkpoint> list = {{model_display_name(options_.pipeline.model), options_.pipeline.model}};
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

GenerationRequest Engine::model_defaults() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return defaults_;
}

double Engine::load_s() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return load_s_;
}

void Engine::load(const Checkpoint& c) {
  PipelineOptions o = options_.pipeline;
  o.model = c.path;
  const Stopwatch clock;
  {
    // One model set in memory at a time: the old one goes before the new one loads. Until the load succeeds
    // no checkpoint is current, so a failed switch is retried by the next request that names one.
    std::lock_guard<std::mutex> lock(mutex_);
    pipeline_.reset();
    current_ = Checkpoint{};
  }
  auto pipeline = std::make_unique<Pipeline>(o);
  GenerationRequest defaults = model_default_request(o);
  Provenance p;
  // The startup model is recorded as the user named it (the CLI's --model), others by their path.
  p.model = c.path == options_.pipeline.model ? options_.model_as_given : c.path;
  p.refiner = o.refiner;
  p.embeddings_dir = o.embeddings_dir;
  p.version = options_.version;
  batch::hash_models(p, c.path);
  std::lock_guard<std::mutex> lock(mutex_);
  pipeline_ = std::move(pipeline);
  defaults_ = defaults;
  provenance_ = p;
  current_ = c;
  load_s_ = clock.seconds();
}

void Engine::switch_to(const std::string& name) {
  if ((name.empty() && pipeline_) || (!name.empty() && name == current_checkpoint())) return;
  if (name.empty()) return load(checkpoints().front());  // the last switch failed: back to the startup model
  for (const auto& c : checkpoints())
    if (c.name == name || c.path == name) {
      if (c.name != current_checkpoint()) load(c);
      return;
    }
  std::string names;
  for (const auto& c : checkpoints()) names += (names.empty() ? "" : ", ") + c.name;
  throw usage_error("sd_model_checkpoint", "unknown checkpoint '" + name + "' (available: " + names + ")");
}

JobImage Engine::generate(const Job& job, int index, const ProgressCallback& progress) {
  if (!pipeline_) throw Error(ErrorCategory::Generation, "", "no model is loaded (the last switch failed)");
  GenerationRequest r = job.request;
  r.sampling.num_images = 1;
  r.sampling.seed = *job.request.sampling.seed + static_cast<uint64_t>(index);
  std::optional<ScratchDir> scratch;
  if (job.init_image) {
    scratch.emplace();
    r.img2img.init_image = scratch->file("init_image.png");
    io::write_png(*r.img2img.init_image, *job.init_image);
    if (job.mask) {
      r.inpaint.mask = scratch->file("mask.png");
      io::write_png(*r.inpaint.mask, *job.mask);
    }
  }
  // The previews the progress endpoint shows come from the pipeline's --preview machinery; the preview path
  // itself is never written (the callback takes the tensor) nor recorded in the PNG.
  r.output.preview = "server-preview";
  r.output.preview_every = 1;
  // As the CLI: the request's LoRA files are read and matched before it runs, failing it as an input error.
  pipeline_->load_loras(pipeline_->request_loras(r));
  GenerationResult result = pipeline_->generate(r, progress);
  GenerationRequest recorded = result.request;
  recorded.output.preview.reset();
  recorded.output.preview_every = 1;
  Provenance p = provenance_;
  p.runtime = result.runtime;
  p.embeddings = result.embeddings;
  JobImage out;
  out.seed = result.seeds.at(0);
  const auto chunks = png_text_chunks(recorded, out.seed, p);
  out.png = io::encode_png(io::from_tensor(result.images[0]), chunks);
  for (const auto& [key, value] : chunks)
    if (key == "parameters") out.parameters = value;
  out.request = recorded;
  return out;
}

}  // namespace sdxl::server
