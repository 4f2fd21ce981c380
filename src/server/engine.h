// The server's one door into the library: a loaded model set that turns a typed job (a GenerationRequest
// plus decoded images) into PNG files carrying the same metadata as the CLI's, one image at a time.
// Wire formats never reach this file; the web-UI and OpenAI mappings build Jobs, the queue runs them here.
// It calls Pipeline::generate and png_text_chunks exactly as batch::run_plan does for a single-image item, so
// an API image equals the CLI image of the same request. It does not go through sdxl/run.h: Run::execute loads
// the models on every call, and a server keeps them loaded; once Run can execute on a loaded Pipeline, only
// this file changes.
#pragma once
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "io/png.h"
#include "pipeline/png_metadata.h"
#include "sdxl/pipeline.h"

namespace sdxl::server {

// What the server was started with (the generate command's model flags, resolved by the CLI).
struct EngineOptions {
  PipelineOptions pipeline;   // pipeline.model: the resolved path of the startup model
  std::string model_as_given; // as the user named it ("tiny", a path): recorded in PNG metadata
  std::string version;        // "sdxl-gen 0.1.0 (abc)": recorded in PNG metadata
  std::string models_dir;     // more checkpoints a client may switch to ("" = only the startup model)
};

// A checkpoint a client may name: the web UI's sd_model_checkpoint / OpenAI's `model`.
struct Checkpoint {
  std::string name;  // model_display_name of the path ("sd_xl_base_1.0"), unique among the list
  std::string path;  // as given (startup model) or under models_dir
};

// One request as the engine runs it: `count` images with seeds seed, seed+1, ... each generated as its own
// single-image run (the CLI's per-image noise), from `request` (num_images 1, seed set, validated).
struct Job {
  GenerationRequest request;
  int count = 1;
  std::optional<io::Image> init_image, mask;  // img2img / inpainting inputs, already at their final size
  std::string checkpoint;                      // switch to this checkpoint first ("" = the loaded one)
  std::vector<std::string> notes;              // what the mapping decided, returned with the result
};

struct JobImage {
  std::string png;         // the complete file, metadata included
  uint64_t seed = 0;
  std::string parameters;  // the web-UI parameters text of the image (its infotext)
  GenerationRequest request;  // as run, for the API's "info"
};

class Engine {
 public:
  // Loads the startup model (throws sdxl::Error when it cannot).
  explicit Engine(EngineOptions options);
  ~Engine();

  // The startup model, then every *.safetensors under models_dir (sorted). Thread-safe.
  std::vector<Checkpoint> checkpoints() const;
  std::string current_checkpoint() const;  // its name. Thread-safe.
  // The request defaults of the loaded model (its scheduler picks the sampler; CLI without flags). Thread-safe.
  GenerationRequest model_defaults() const;
  double load_s() const;  // seconds the last model load took. Thread-safe.
  const PipelineOptions& pipeline_options() const { return options_.pipeline; }

  // Loads checkpoint `name` in place of the current one (one model set in memory at a time). Throws a usage
  // sdxl::Error for an unknown name. Only the queue's worker thread calls this and generate().
  void switch_to(const std::string& name);
  // Image `index` of `job` (seed = job seed + index). `progress` may throw to abandon the image.
  JobImage generate(const Job& job, int index, const ProgressCallback& progress);

 private:
  void load(const Checkpoint& c);
  EngineOptions options_;
  mutable std::mutex mutex_;  // guards the fields read by HTTP threads
  std::unique_ptr<Pipeline> pipeline_;
  Checkpoint current_;
  GenerationRequest defaults_;
  Provenance provenance_;
  double load_s_ = 0;
};

}  // namespace sdxl::server
