// The run layer: what every front end (the CLI, the HTTP server, a library user) does to turn a request
// into PNG files, with one policy. A RunSpec says what the user asked for; Run::prepare decides everything
// that needs no model (the request from flags, prompt file or a recorded PNG, the model path, output names,
// every validation, existing-output refusal) and returns the plan with its notes; Run::execute loads the
// models and generates, reporting through events. Front ends keep only spelling (flags, JSON keys,
// printing) and the mapping of sdxl::Error categories to exit codes or statuses.
//
//   sdxl::RunSpec spec;
//   spec.given = {{"prompt", "a fox"}, {"seed", 1}};
//   spec.pipeline.model = "tiny";
//   spec.output.out = "fox.png";
//   sdxl::Run run;
//   run.prepare(spec);                    // throws sdxl::Error; nothing loaded or written yet
//   sdxl::RunSummary s = run.execute({}); // images written; per-item failures in the summary/events
//
// A long-lived front end (the server) keeps its models between runs in a LoadedModels and passes it to
// execute(), and may ask for the images in memory (OutputOptions::in_memory) instead of files.
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sdxl/error.h"
#include "sdxl/pipeline.h"
#include "sdxl/request.h"

namespace sdxl {

// Where the images go. Field names in errors: "out", "out_dir", "name", "overwrite", "resume", "shard".
struct OutputOptions {
  std::string out;            // one output file (single request; with num_images > 1: NAME_i.png)
  std::string out_dir = ".";  // folder for templated names, created with its parents
  std::string name_template = "{index:05d}-{seed}-{prompt:.40}.png";
  bool overwrite = false;  // replace existing outputs (otherwise any existing output refuses the run up front)
  bool resume = false;     // skip items whose outputs exist (a drawn seed is found again from the file names)
  int shard_index = 0, shard_count = 1;  // run every shard_count-th item starting at shard_index
  // No files: each finished PNG (the same bytes and metadata a file would get) goes only to
  // events.image_written, and a request's previews (any `preview` name, every `preview_every` steps) only to
  // events.progress, neither written nor recorded in the PNG. out, out_dir, name, overwrite and resume then
  // do nothing. For a front end that sends the images elsewhere (the server).
  bool in_memory = false;
};

struct RunSpec {
  // The request: `defaults` overridden by the fields the user gave, in request_from_json's JSON form (the
  // same keys as prompt-file lines and PNG metadata). Fields not given come from `from_png` when set, and
  // the sampler and Karras sigmas from the model's scheduler config. Input images a front end holds in memory
  // (uploads) go in defaults.input_images, under the names its init_image / mask give (sdxl/request.h).
  GenerationRequest defaults;
  nlohmann::json given = nlohmann::json::object();
  std::string prompt_file;  // .txt (one prompt a line) or .jsonl (one request a line; `given` its defaults)
  std::string from_png;     // re-run the request recorded in this PNG, with its models, VAE and dtypes
  std::string shard;        // "K/N" (parsed into output.shard_index/shard_count), "" = the whole batch
  std::vector<LoraSpec> loras;  // when not empty: replaces the request's LoRA list (CLI --lora)
  PipelineOptions pipeline;  // model "" = the one base checkpoint in weights/; "tiny" = the bundled test model
  OutputOptions output;
  bool metadata = true;        // PNG text chunks (the request, models, hashes: --from-png reads them back)
  bool grid = false;           // also write grid.png, a contact sheet, beside the outputs
  // A note per LoRA tensor that matched no weight and per file of the embeddings folder that is not an
  // embedding (both are passed over).
  bool verbose = false;
  // The memory (bytes) the run may count on: an item whose estimate exceeds it is refused before any model
  // loads (on the CPU; a GPU's free memory is the driver's to report). Unset: what the machine has available
  // now (MemAvailable).
  std::optional<uint64_t> memory_available;
  std::string version;         // the front end's version line, recorded in the PNG metadata
  // The front end's command that continues this run (its --resume form), recorded in the batch manifest of a
  // prompt-file run (manifest-K-of-N.jsonl in out_dir, one line per image) for `batch-status` to print.
  std::string continue_command;
};

// One unit of a run: the single request, or one prompt-file line, with its output files.
struct RunItem {
  int line = 0;                      // prompt-file line (0 for a single request)
  int index = 0;                     // position among the file's items, bad ones included (line-stable)
  GenerationRequest request;         // seed always filled in
  std::vector<std::string> outputs;  // one PNG path per image
  std::string error;                 // invalid item: reported, not run
  bool done = false;                 // resume: every output exists already
  std::vector<std::string> notes;    // what the planner decided ("note: bucket: ...") or warns about ("warning: ...")
  bool named_explicitly = false;     // outputs from "out", not from the name template
  int only_image = -1;               // >= 0: generate the whole batch, write only this image (a re-run of
                                     // image i of a shared-noise batch); `outputs` then has one path
};

// Something decided for the user, or worth a warning, said once before any work (or while running).
// `field` is the request/option field it is about ("" = none); front ends spell it their way before
// `text` ("--model" + " tiny overrides the recorded ...").
struct RunNote {
  enum Kind { Note, Warning, Report };  // Report: a plain line (LoRA files read, dtype placement)
  Kind kind = Note;
  std::string field;
  std::string text;
};

struct RunPlan {
  std::vector<RunItem> items;      // after sharding; invalid ones carry `error`
  PipelineOptions pipeline;        // as execute() loads it (model resolved, low_memory for a single image)
  std::vector<RunNote> notes;      // each once, for the user to read before any work
  std::string grid;                // the contact sheet's path, "" = none
  int pending = 0;                 // items to generate (valid, not done)
};

struct ImageWritten {
  const RunItem& item;
  int image;  // within the item
  const std::string& path;
  uint64_t seed;  // this image's own seed
  const GenerationResult& result;
  std::string_view png;  // the PNG's bytes, metadata included (path is "" with output.in_memory)
  const std::vector<std::pair<std::string, std::string>>& text;  // its text chunks (keyword, value), as written
};

struct RunEvents {
  std::function<void(const RunItem&, int position)> item_started;
  // Each step; a due preview (request.preview) is already written when this is called. May throw to fail
  // the item.
  std::function<void(const RunItem&, const Progress&)> progress;
  std::function<void(const ImageWritten&)> image_written;
  std::function<void(const RunNote&)> note;  // while running: placement, LoRA reports, warnings (each once)
  // An item failed (its exception, with the error the library threw); the run goes on with the next one.
  std::function<void(const RunItem&, const std::exception&)> item_failed;
  // Polled at every step: true abandons the current image (nothing half-written) and stops the run.
  std::function<bool()> cancelled;
};

struct RunSummary {
  int written = 0;  // images
  int skipped = 0;  // items already done (resume)
  int invalid = 0;  // items the plan rejected
  int failed = 0;   // items that failed while generating
  int left = 0;     // items not attempted because the run was cancelled
  bool abandoned = false;
  bool loaded = false;        // models were loaded (something was pending)
  double load_s = 0;          // loading models
  double generate_s = 0;      // the rest: encode, denoise, decode, PNG writing
  std::string grid;           // written contact sheet, "" = none
};

// A model set kept loaded between runs (a server's). Run::execute given one reuses it when the run's pipeline
// options are the ones it holds, and otherwise releases it before loading the run's set (a checkpoint
// switch), so one set is in memory at a time. Not thread-safe: one run at a time uses it.
class LoadedModels {
 public:
  LoadedModels();
  ~LoadedModels();
  LoadedModels(const LoadedModels&) = delete;
  LoadedModels& operator=(const LoadedModels&) = delete;

  // Loads the set `options` names, the model resolved as Run::prepare resolves it ("tiny", "" = the one
  // base checkpoint in weights/), unless it is the one held. Throws sdxl::Error (nothing is held then).
  void load(const PipelineOptions& options);
  bool loaded() const;
  const PipelineOptions& options() const;  // as loaded (model path resolved)
  double load_s() const;                   // seconds the last load took (opening and hashing the checkpoints)
  int loads() const;                       // sets loaded so far (a front end's metrics)
  void release();

 private:
  friend class Run;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class Run {
 public:
  Run();
  ~Run();
  Run(const Run&) = delete;
  Run& operator=(const Run&) = delete;

  // Everything decided before any model loads: the request, model path, names, every check. Throws
  // sdxl::Error naming the field at fault; then nothing was loaded and nothing written.
  const RunPlan& prepare(const RunSpec& spec);
  // Loads the models (only when something is pending) and generates every pending item. Per-item failures
  // go to events.item_failed; a model that cannot be loaded throws sdxl::Error. Call prepare() first.
  // With `models`: the set it holds is used when it is the plan's (else replaced by it) and stays loaded
  // afterwards; the pipeline's low_memory is then the spec's (a single image gets no per-stage schedule).
  RunSummary execute(const RunEvents& events, LoadedModels* models = nullptr);
  const RunPlan& plan() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sdxl
