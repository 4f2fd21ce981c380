// The server's door into the run layer (sdxl/run.h): a typed job (a GenerationRequest, its images in memory)
// becomes one RunSpec per image, prepared and executed by sdxl::Run on the model set the engine keeps loaded
// (sdxl::LoadedModels), with the PNG bytes delivered in memory. So every request check, seed, LoRA
// resolution and the PNG metadata are the CLI's own, and an API image equals the CLI image of the same
// request. Wire formats never reach this file; the web-UI and OpenAI mappings build Jobs, the queue runs them.
#pragma once
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "sdxl/pipeline.h"
#include "sdxl/run.h"

namespace sdxl::server {

// What the server was started with: the generate command's model flags.
struct EngineOptions {
  PipelineOptions pipeline;   // pipeline.model as the user gave it ("tiny", a path, "" = the one in weights/)
  std::string version;        // "sdxl-gen 0.1.0 (abc)": recorded in PNG metadata
  std::string models_dir;     // more checkpoints a client may switch to ("" = only the startup model)
};

// A checkpoint a client may name: the web UI's sd_model_checkpoint / OpenAI's `model`.
struct Checkpoint {
  std::string name;  // model_display_name of the path ("sd_xl_base_1.0"), unique among the list
  std::string path;  // resolved (startup model) or under models_dir
};

// One request as the engine runs it: `count` images with seeds seed, seed+1, ... each generated as its own
// single-image run (the CLI's per-image noise), from `request` (num_images 1, seed set; an init image and mask
// already at their final size, in memory: GenerationRequest::input_images).
struct Job {
  GenerationRequest request;
  int count = 1;
  std::string checkpoint;                      // switch to this checkpoint first ("" = the loaded one)
  std::vector<std::string> notes;              // what the mapping decided, returned with the result
};

struct JobImage {
  std::string png;         // the complete file, metadata included
  uint64_t seed = 0;
  std::string parameters;  // the web-UI parameters text of the image (its infotext)
  GenerationRequest request;  // as run, for the API's "info"
  std::vector<std::string> warnings;  // what the run layer warned about
};

class Engine {
 public:
  // Resolves the startup model and reads its request defaults (headers only); load() loads it. Throws
  // sdxl::Error for a model that cannot be found.
  explicit Engine(EngineOptions options);
  ~Engine();

  // The startup model, then every *.safetensors under models_dir (sorted). Thread-safe.
  std::vector<Checkpoint> checkpoints() const;
  std::string current_checkpoint() const;  // its name ("" while none is loaded). Thread-safe.
  bool loading() const;                    // a model set is being loaded (start, switch). Thread-safe.
  // The request defaults of the current model (its scheduler picks the sampler; CLI without flags). Thread-safe.
  GenerationRequest model_defaults() const;
  double load_s() const;  // seconds the last model load took. Thread-safe.

  // Loads checkpoint `name` ("" = the current one, or the startup model when none is loaded) in place of the
  // current one (one model set in memory at a time). Throws a usage sdxl::Error for an unknown name and
  // sdxl::Error when it cannot be loaded. Only the queue's worker thread (or the start before it) calls this
  // and generate().
  void switch_to(const std::string& name);
  // Image `index` of `job` (seed = job seed + index) on the current checkpoint; nullopt when `cancelled`
  // said so at a step (nothing half-made). Throws the sdxl::Error the run layer gave.
  std::optional<JobImage> generate(const Job& job, int index, const std::function<void(const Progress&)>& progress,
                                   const std::function<bool()>& cancelled);

 private:
  void load(const Checkpoint& c);
  EngineOptions options_;
  std::string startup_path_;
  LoadedModels models_;
  mutable std::mutex mutex_;  // guards the fields below, read by HTTP threads
  Checkpoint current_;
  bool loading_ = true;  // from construction until the first load ends
  GenerationRequest defaults_;
  double load_s_ = 0;
};

}  // namespace sdxl::server
