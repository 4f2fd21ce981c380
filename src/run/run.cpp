// Run: the one sequencer of a generation run for every front end (sdxl/run.h). prepare() turns a RunSpec
// into a batch plan (src/batch/plan.h) with every policy decided up front; execute() loads the models and
// hands the plan to the batch runner (src/batch/runner.h).
#include "sdxl/run.h"

#include <cstdio>
#include <optional>
#include <set>
#include <tuple>

#include "batch/manifest.h"
#include "batch/plan.h"
#include "batch/recorded.h"
#include "batch/runner.h"
#include "common/cancellation.h"
#include "common/stopwatch.h"
#include "common/strings.h"
#include "io/png.h"
#include "pipeline/request_inputs.h"
#include "pipeline/device.h"
#include "pipeline/memory_estimate.h"
#include "run/model_path.h"
#include "run/output_policy.h"
#include "run/recorded_choice.h"

namespace sdxl {

struct Run::Impl {
  RunSpec spec;
  RunPlan plan;
  Provenance provenance, recorded_provenance;
  bool prepared = false;
  std::set<std::string> said;  // notes and warnings already given (each once)
};

Run::Run() : impl_(std::make_unique<Impl>()) {}
Run::~Run() = default;

const RunPlan& Run::plan() const { return impl_->plan; }

namespace {

RunNote note_from_line(const std::string& line) {
  // The planner's item notes are "note: ..." / "warning: ..." lines.
  const bool warning = line.rfind("warning: ", 0) == 0;
  const size_t colon = line.find(": ");
  return RunNote{warning ? RunNote::Warning : RunNote::Note, "", colon == std::string::npos ? line : line.substr(colon + 2)};
}

std::string note_key(const RunNote& n) { return std::to_string(n.kind) + ":" + n.field + ":" + n.text; }

// A request-level error of prompt-file item `item`: the item is invalid (reported as FILE:LINE:, not run) like
// a bad line, and the others are made; for the single request (no prompt file) the error fails the run.
void refuse_item(batch::PlanItem& item, const std::string& prompt_file, const Error& e) {
  if (prompt_file.empty()) throw e;
  item.error = prompt_file + ":" + std::to_string(item.line) + ": " + e.what();
}

// The output and input-file checks that need no model (pipeline/request_inputs.h: image prompts, controls),
// for every item to run, before any load.
void check_items(std::vector<batch::PlanItem>& plan, const std::string& prompt_file) {
  for (auto& item : plan) {
    if (!item.error.empty() || item.done) continue;
    try {
      check_item_outputs(item);
      check_request_inputs(item.request);
    } catch (const Error& e) {
      refuse_item(item, prompt_file, e);
    }
  }
}

// Every item to run whose memory estimate (pipeline/memory_estimate.h, from the item's own size, batch,
// hires pass and VAE tiling) exceeds the memory available is refused now, before any load, with the
// estimate, rather than minutes later by the allocator: the single request fails the run; a prompt-file item
// is invalid like a bad line (refuse_item) and the others are made. `available`: the run's own budget
// (RunSpec::memory_available), else what the machine has now. CPU only: a GPU's free memory is the driver's
// to report.
void check_memory(std::vector<batch::PlanItem>& plan, const PipelineOptions& options, const std::string& prompt_file,
                  std::optional<uint64_t> available) {
  if (!available) available = available_memory();
  if (!available || resolve_placement(options.device, options.dtype, options.vae_dtype).device.is_cuda()) return;
  std::optional<MemoryEstimator> estimate;  // reads the checkpoint headers: only when an item is to run
  char avail[32];
  std::snprintf(avail, sizeof avail, "%.1f", static_cast<double>(*available) / (1024.0 * 1024.0 * 1024.0));
  for (auto& item : plan) {
    if (!item.error.empty() || item.done) continue;
    if (!estimate) estimate.emplace(options);
    const GenerationRequest& r = item.request;
    const MemoryEstimate e = (*estimate)(r);
    if (e.total() <= *available) continue;
    refuse_item(item, prompt_file,
                Error(ErrorCategory::Resource, "size",
                      std::to_string(r.sampling.size.width) + "x" + std::to_string(r.sampling.size.height) +
                          " needs at least " + e.describe() + " of memory, " + avail +
                          " GiB are available (a smaller size or batch, or VAE tiling, needs less)"));
  }
}

// Fields the user gave that do nothing in this request: said once (a value that is silently ignored looks
// like a value that works). `r` is the request the fields went into.
void warn_unused_fields(const RunSpec& s, const GenerationRequest& r, std::vector<RunNote>& notes) {
  struct Rule {
    std::vector<const char*> fields;
    bool applies;
    const char* needs;
  };
  const Rule rules[] = {
      {{"hires_steps", "hires_strength", "hires_upscaler"}, !r.hires.scale.has_value(), "the hires fix (a hires scale)"},
      {{"strength", "keep_unmasked", "mask_blur", "inpaint_full_res", "inpaint_padding"}, !r.img2img.init_image.has_value(),
       "an init image"},
      {{"save_trajectory"}, !r.output.save_latents.has_value(), "saved latents"},
      {{"masked_content"}, !r.inpaint.mask && !r.inpaint.outpaint, "a mask (or outpaint)"},
      {{"refiner_mode", "refiner_strength", "high_noise_frac", "refiner_seed", "refiner_steps"}, s.pipeline.refiner.empty(),
       "a refiner"},
      {{"preview_every"}, !r.output.preview.has_value(), "a preview file"},
  };
  for (const Rule& rule : rules)
    if (rule.applies)
      for (const char* f : rule.fields)
        if (s.given.contains(f)) notes.push_back({RunNote::Warning, f, std::string("does nothing without ") + rule.needs});
  const OutputOptions defaults;
  if (!s.output.out.empty() && s.output.out_dir != defaults.out_dir)
    notes.push_back({RunNote::Warning, "out_dir", "does nothing with a single output file (out names it)"});
  if (!s.output.out.empty() && s.output.name_template != defaults.name_template)
    notes.push_back({RunNote::Warning, "name", "does nothing with a single output file (out names it)"});
  if (s.output.resume && s.output.overwrite)
    notes.push_back({RunNote::Warning, "resume", "skips finished items, so overwrite only replaces the unfinished ones' files"});
}

// Every option that changes what Pipeline loads or how it runs: a held set is reused only when all agree.
bool same_pipeline(const PipelineOptions& a, const PipelineOptions& b) {
  auto key = [](const PipelineOptions& o) {
    return std::tie(o.model, o.config_dir, o.refiner, o.refiner_config_dir, o.device, o.dtype, o.vae_dtype,
                    o.low_memory, o.vae, o.preview_vae, o.lora_dir, o.embeddings_dir, o.reproducible);
  };
  return key(a) == key(b);
}

}  // namespace

struct LoadedModels::Impl {
  std::unique_ptr<Pipeline> pipeline;
  PipelineOptions options;
  std::string model_hash, refiner_hash;  // hashed once per load (a full-size checkpoint takes seconds)
  double load_s = 0;
  int loads = 0;

  // `options` with its model resolved; the held set when it is that one, else a fresh load.
  Pipeline& ensure(const PipelineOptions& o, bool* fresh) {
    *fresh = !pipeline || !same_pipeline(o, options);
    if (!*fresh) return *pipeline;
    pipeline.reset();  // the old set goes before the new one loads
    const Stopwatch clock;
    auto p = std::make_unique<Pipeline>(o);  // checkpoints open once; a bad one throws here
    Provenance hashes;
    hashes.refiner = o.refiner;
    batch::hash_models(hashes, o.model);
    pipeline = std::move(p);
    options = o;
    model_hash = hashes.model_hash;
    refiner_hash = hashes.refiner_hash;
    load_s = clock.seconds();
    ++loads;
    return *pipeline;
  }
};

LoadedModels::LoadedModels() : impl_(std::make_unique<Impl>()) {}
LoadedModels::~LoadedModels() = default;
bool LoadedModels::loaded() const { return impl_->pipeline != nullptr; }
const PipelineOptions& LoadedModels::options() const { return impl_->options; }
double LoadedModels::load_s() const { return impl_->load_s; }
int LoadedModels::loads() const { return impl_->loads; }
void LoadedModels::release() { impl_->pipeline.reset(); }

void LoadedModels::load(const PipelineOptions& options) {
  Pipeline::check_options(options);
  PipelineOptions o = options;
  o.model = resolve_model_path(options.model, &o.config_dir);  // as Run::prepare resolves it
  bool fresh = false;
  impl_->ensure(o, &fresh);
}

const RunPlan& Run::prepare(const RunSpec& spec) {
  impl_ = std::make_unique<Impl>();
  Impl& d = *impl_;
  d.spec = spec;
  RunSpec& s = d.spec;
  RunPlan& plan = d.plan;
  std::vector<RunNote> notes;

  batch::Recorded recorded;
  recorded.request = s.defaults;
  if (!s.from_png.empty()) recorded = batch::read_recorded(s.from_png);
  d.recorded_provenance = recorded.provenance;
  Provenance& provenance = d.provenance;
  provenance = recorded.provenance;

  batch::PlanBase base;
  base.request = request_from_json(s.given, recorded.request);
  if (!s.loras.empty()) base.request.adapters.loras = s.loras;
  base.size_given = s.given.contains("size") || !s.from_png.empty();
  // Image i of a shared-noise batch: the batch again, image i written (unless the flags change the batch).
  if (recorded.provenance.batch_image >= 0 && !s.given.contains("num_images") && !s.given.contains("batch_noise"))
    base.only_image = recorded.provenance.batch_image;
  if (s.prompt_file.empty() && !s.given.contains("prompt") && s.from_png.empty())
    throw usage_error("prompt", "a prompt is required (or a prompt file, or a PNG to re-run)");
  if (!s.prompt_file.empty() && s.given.contains("prompt") && !ends_with(ascii_lower(s.prompt_file), ".jsonl"))
    throw usage_error("prompt", "given with the prompt file " + s.prompt_file +
                                    ": a .txt prompt file gives every prompt (with .jsonl, the prompt is the default "
                                    "for lines without one)");
  if (s.output.in_memory && base.request.output.save_latents)
    throw usage_error("save_latents", "writes a file; a run with in-memory outputs writes none");
  if (!s.shard.empty()) std::tie(s.output.shard_index, s.output.shard_count) = batch::parse_shard(s.shard);
  check_output_options(s);
  apply_recorded_runtime(s.pipeline, provenance, notes);
  Pipeline::check_options(s.pipeline);

  // Models: the option when given, else what the PNG recorded (which must still be there).
  s.pipeline.model = choose_recorded_model(s.pipeline.model, provenance.model, "model", notes);
  s.pipeline.refiner = choose_recorded_model(s.pipeline.refiner, provenance.refiner, "refiner", notes);
  s.pipeline.embeddings_dir = choose_recorded_embeddings_dir(s.pipeline.embeddings_dir, provenance, notes);
  provenance.embeddings_dir = s.pipeline.embeddings_dir;
  provenance.model = s.pipeline.model;
  const std::string model_path = resolve_model_path(s.pipeline.model, &s.pipeline.config_dir);
  if (provenance.model.empty()) provenance.model = model_path;  // found in weights/
  base.model_name = model_display_name(model_path);
  // The model's own scheduler class picks the sampler (and Karras sigmas) unless a field or the PNG names one.
  if (s.from_png.empty() && (!s.given.contains("sampler") || !s.given.contains("karras"))) {
    PipelineOptions for_defaults = s.pipeline;
    for_defaults.model = model_path;
    const GenerationRequest defaults = model_default_request(for_defaults);
    if (!s.given.contains("sampler")) base.request.sampling.sampler = defaults.sampling.sampler;
    if (!s.given.contains("karras")) base.request.sampling.karras = defaults.sampling.karras;
  }

  // (Flags are only defaults for the lines of a prompt file, which may use them.)
  if (s.from_png.empty() && s.prompt_file.empty()) warn_unused_fields(s, base.request, notes);
  plan.items = s.prompt_file.empty() ? batch::plan_single(base, s.output)
                                     : batch::plan_prompt_file(s.prompt_file, base, s.output);
  plan.grid = s.grid ? output_folder(s.output) + "/grid.png" : "";
  if (!s.output.in_memory) check_items(plan.items, s.prompt_file);
  PipelineOptions resolved = s.pipeline;
  resolved.model = model_path;
  check_memory(plan.items, resolved, s.prompt_file, s.memory_available);
  plan.pending = batch::pending_items(plan.items);
  if (!s.output.in_memory) {
    refuse_existing_outputs(plan, s.output);
    batch::prepare_output_dir(output_folder(s.output), s.output.out.empty() ? "out_dir" : "out");
  }

  if (is_tiny_model(model_path))
    notes.push_back({RunNote::Note, "model", "tiny is a smoke-test model with random weights: images are noise by design"});
  for (const auto& item : plan.items) {
    if (!item.error.empty() || item.done) continue;
    for (const auto& n : item.notes) notes.push_back(note_from_line(n));
  }
  for (const auto& n : notes)
    if (d.said.insert(note_key(n)).second) plan.notes.push_back(n);

  plan.pipeline = s.pipeline;
  plan.pipeline.model = model_path;
  // With a single image to make, every model is used once anyway: load each only for its stage
  // (the low-memory schedule), which costs nothing and keeps the peak at the largest model.
  if (plan.pending == 1) plan.pipeline.low_memory = true;
  d.prepared = true;
  return plan;
}

RunSummary Run::execute(const RunEvents& events, LoadedModels* models) {
  Impl& d = *impl_;
  if (!d.prepared) throw Error(ErrorCategory::Usage, "", "Run::execute before Run::prepare");
  RunPlan& plan = d.plan;
  Provenance& provenance = d.provenance;
  auto note = [&](const RunNote& n) {
    if (events.note && d.said.insert(note_key(n)).second) events.note(n);
  };

  // This run's models: its own (released when it ends), or the caller's held set, reused or replaced.
  std::unique_ptr<Pipeline> own;
  Pipeline* pipeline = nullptr;
  double load_before = 0;  // load seconds already spent before this run (a held set)
  if (plan.pending > 0) {
    provenance.refiner = d.spec.pipeline.refiner;
    if (models) {
      PipelineOptions wanted = plan.pipeline;
      wanted.low_memory = d.spec.pipeline.low_memory;  // kept models gain nothing from the per-stage schedule
      bool fresh = false;
      pipeline = &models->impl_->ensure(wanted, &fresh);
      load_before = fresh ? 0.0 : pipeline->load_s();
      provenance.model_hash = models->impl_->model_hash;
      provenance.refiner_hash = models->impl_->refiner_hash;
    } else {
      own = std::make_unique<Pipeline>(plan.pipeline);  // checkpoints open once; a bad one fails the run here
      pipeline = own.get();
      batch::hash_models(provenance, plan.pipeline.model);
    }
    if (!pipeline->placement_note().empty())
      note({RunNote::Report, "", pipeline->placement_note() + "; fp32 dtypes give reference-exact output"});
    // The same path with other content (a replaced checkpoint) gives another image: worth saying.
    const Provenance& old = d.recorded_provenance;
    for (const auto& [path, hash, old_path, old_hash] :
         {std::tuple{provenance.model, provenance.model_hash, old.model, old.model_hash},
          std::tuple{provenance.refiner, provenance.refiner_hash, old.refiner, old.refiner_hash}})
      if (!old_hash.empty() && path == old_path && hash != old_hash)
        note({RunNote::Warning, "", path + " has changed since the PNG was made (content hash " + hash + ", recorded " + old_hash + ")"});
    // LoRA files are read and matched against the model before the first item, like the checkpoints: a
    // file that cannot be used fails the run as an input error naming the file and the first mismatch.
    std::vector<LoraSpec> all;
    for (const auto& item : plan.items)
      if (item.error.empty() && !item.done) {
        const auto loras = pipeline->request_loras(item.request);
        all.insert(all.end(), loras.begin(), loras.end());
      }
    std::vector<std::string> skipped;
    for (const auto& line : pipeline->load_loras(all, &skipped)) note({RunNote::Report, "", line});
    if (d.spec.verbose) {
      for (const auto& k : skipped) note({RunNote::Report, "", "lora skipped: " + k});
      for (const auto& f : pipeline->skipped_embedding_files())
        note({RunNote::Report, "", "embeddings skipped: " + f + " (neither clip_l nor clip_g: not an embedding)"});
    }
  }
  provenance.version = d.spec.version;

  // A prompt-file run records each finished image in its shard's manifest; images found on disk without a
  // line (the process died between the PNG and its line) are recorded first, so resuming completes it.
  std::optional<batch::ManifestWriter> manifest;
  if (!d.spec.prompt_file.empty() && !d.spec.output.in_memory) {
    manifest.emplace(d.spec.output.out_dir, d.spec.output.shard_index, d.spec.output.shard_count, d.spec.continue_command);
    if (const int n = manifest->record_done(plan.items))
      note({RunNote::Note, "", "recorded " + std::to_string(n) + " finished image(s) missing from " + manifest->path()});
  }

  batch::RunOptions run;
  run.metadata = d.spec.metadata;
  run.provenance = provenance;
  run.grid = plan.grid;
  run.in_memory = d.spec.output.in_memory;
  batch::RunEvents e;
  e.item_started = events.item_started;
  e.progress = [&](const batch::PlanItem& item, const Progress& p) {
    if (events.cancelled && events.cancelled()) throw batch::Abandon();
    if (p.preview.defined() && item.request.output.preview && !run.in_memory)
      io::write_png(*item.request.output.preview, io::from_tensor(p.preview), {});
    if (events.progress) events.progress(item, p);
  };
  e.warning = [&](const batch::PlanItem&, const std::string& w) { note({RunNote::Warning, "", w}); };
  e.image_written = [&](const batch::WrittenImage& w) {
    if (manifest) manifest->record(w);
    if (events.image_written)
      events.image_written(ImageWritten{w.item, w.image, w.path, w.result.seeds[static_cast<size_t>(w.image)], w.result, w.png, w.text});
  };
  e.item_failed = events.item_failed;

  const double load_at_start = pipeline ? pipeline->load_s() : 0.0;
  const Stopwatch clock;
  // One UNet or VAE call on a large image can take minutes: the networks poll the same stop between blocks.
  const CancellationScope cancellation([&] {
    if (events.cancelled && events.cancelled()) throw batch::Abandon();
  });
  const batch::RunSummary b = batch::run_plan(pipeline, plan.items, run, e);
  RunSummary s;
  s.written = b.written;
  s.skipped = b.skipped;
  s.invalid = b.invalid;
  s.failed = b.failed;
  s.left = b.left;
  s.abandoned = b.abandoned;
  s.loaded = pipeline != nullptr;
  // Models load lazily inside the run; "generate" is the rest (encode, denoise, decode, PNG), so the
  // figures README's timing table needs come from one run.
  s.load_s = pipeline ? pipeline->load_s() - load_before : 0.0;
  s.generate_s = clock.seconds() - (pipeline ? pipeline->load_s() - load_at_start : 0.0);
  if (!plan.grid.empty() && b.written) s.grid = plan.grid;
  return s;
}

}  // namespace sdxl
