// The default command: flags -> a batch plan (batch/plan.h) -> the batch runner (batch/runner.h), with
// progress, --json lines and the final summary on the terminal.
#include <sys/stat.h>

#include <iostream>
#include <set>

#include "batch/recorded.h"
#include "batch/runner.h"
#include "cli/app.h"
#include "cli/commands.h"
#include "cli/error_report.h"
#include "cli/exit_codes.h"
#include "cli/fault_injection.h"
#include "cli/interrupt.h"
#include "cli/ip_adapter_flags.h"
#include "cli/lora_flags.h"
#include "cli/model_path.h"
#include "cli/progress.h"
#include "cli/request_flags.h"
#include "cli/runtime.h"
#include "cli/version.h"
#include "common/stopwatch.h"
#include "common/strings.h"
#include "sdxl/pipeline.h"

namespace sdxl::cli {
namespace {

struct GenerateFlags {
  RequestFlags request;
  batch::OutputOptions out;
  PipelineOptions pipeline;
  RuntimeFlags runtime;
  std::string prompt_file, shard, from_png, metadata = "full";
  std::vector<std::string> loras;  // --lora FILE[:MULTIPLIER]
  IpAdapterFlags ip_adapters;      // --ip-adapter FILE[:SCALE] --ip-image PNG [--image-encoder PATH]
  bool json = false, quiet = false, grid = false, verbose = false;
};

bool is_folder(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string parent_dir(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
}

// --model / --refiner: the flag when given, else what --from-png recorded (which must still exist).
std::string choose_model(const std::string& flag_value, const std::string& recorded, const char* field,
                         std::vector<std::string>& notes) {
  const std::string flag = flag_for_field(field);
  if (!flag_value.empty()) {
    if (!recorded.empty() && recorded != flag_value)
      notes.push_back("note: " + flag + " " + flag_value + " overrides the recorded " + recorded);
    return flag_value;
  }
  if (recorded.empty()) return "";
  if (recorded != "tiny" && !is_folder(recorded)) {
    struct stat st {};
    if (stat(recorded.c_str(), &st) != 0)
      throw input_error(field, "the PNG records " + recorded + ", which is not there (pass " + flag + " PATH)");
  }
  return recorded;
}

// The flags that make a batch: output checks the plan cannot know about (flag spelling).
void check_output_flags(const GenerateFlags& f) {
  if (f.out.out.empty()) return;
  if (!f.prompt_file.empty()) throw usage_error("out", "names one file; use --out-dir with --prompt-file");
  if (is_folder(f.out.out)) throw usage_error("out", f.out.out + " is a folder; give a file name (or use --out-dir)");
  if (!ends_with(ascii_lower(f.out.out), ".png")) throw usage_error("out", f.out.out + ": the output is a PNG; use a .png name");
}

std::string image_json(const batch::WrittenImage& w) {
  GenerationRequest as_run = w.result.request;
  as_run.seed = w.result.seeds[static_cast<size_t>(w.image)];  // this image's own seed
  as_run.num_images = 1;
  nlohmann::json line = {{"path", w.path},
                         {"seed", w.result.seeds[static_cast<size_t>(w.image)]},
                         {"index", w.item.index},
                         {"image", w.image},
                         {"timings", {{"encode_s", w.result.encode_s}, {"base_s", w.result.base_s},
                                      {"refiner_s", w.result.refiner_s}, {"decode_s", w.result.decode_s}}},
                         {"parameters", to_json(as_run)}};
  if (w.item.line) line["line"] = w.item.line;
  return line.dump();
}

std::string resume_command() {
  std::string cmd = invocation();
  if (cmd.find(" --resume") == std::string::npos) cmd += " --resume";
  return cmd;
}

// --embeddings-dir: the flag when given, else the folder --from-png recorded, where every embedding the image
// used must still be (a missing file would silently turn its NAME into plain prompt words).
std::string choose_embeddings_dir(const std::string& flag_value, const Provenance& recorded, std::vector<std::string>& notes) {
  if (!flag_value.empty()) {
    if (!recorded.embeddings_dir.empty() && recorded.embeddings_dir != flag_value)
      notes.push_back("note: --embeddings-dir " + flag_value + " overrides the recorded " + recorded.embeddings_dir);
    return flag_value;
  }
  struct stat st {};
  for (const EmbeddingUse& e : recorded.embeddings)
    if (stat(e.path.c_str(), &st) != 0)
      throw input_error("embeddings_dir", "the PNG records the embedding " + e.name + " in " + e.path +
                                              ", which is not there (pass --embeddings-dir DIR)");
  return recorded.embeddings_dir;
}

int run_generate(GenerateFlags& f) {
  apply_runtime(f.runtime);
  std::vector<std::string> notes;
  batch::Recorded recorded;
  if (!f.from_png.empty()) recorded = batch::read_recorded(f.from_png);
  Provenance& provenance = recorded.provenance;
  const nlohmann::json given = f.request.given();
  batch::PlanBase base;
  base.request = request_from_json(given, recorded.request);
  if (!f.loras.empty()) base.request.loras = parse_lora_flags(f.loras);
  if (f.ip_adapters.given()) base.request.ip_adapters = parse_ip_adapter_flags(f.ip_adapters);
  base.size_given = given.contains("size") || !f.from_png.empty();
  if (f.prompt_file.empty() && !given.contains("prompt") && f.from_png.empty())
    throw UsageError("--prompt (or --prompt-file, --from-png) is required; see --help");
  if (!f.prompt_file.empty() && given.contains("prompt") && !ends_with(ascii_lower(f.prompt_file), ".jsonl"))
    throw UsageError("--prompt and --prompt-file " + f.prompt_file +
                     ": a .txt prompt file gives every prompt (with .jsonl, --prompt is the default for lines without one)");
  if (!f.shard.empty()) std::tie(f.out.shard_index, f.out.shard_count) = batch::parse_shard(f.shard);
  if (f.metadata != "full" && f.metadata != "none") throw usage_error("metadata", "expected full or none, got '" + f.metadata + "'");
  check_output_flags(f);
  Pipeline::check_options(f.pipeline);

  const Provenance recorded_provenance = provenance;
  f.pipeline.model = choose_model(f.pipeline.model, provenance.model, "model", notes);
  f.pipeline.refiner = choose_model(f.pipeline.refiner, provenance.refiner, "refiner", notes);
  f.pipeline.embeddings_dir = choose_embeddings_dir(f.pipeline.embeddings_dir, provenance, notes);
  provenance.embeddings_dir = f.pipeline.embeddings_dir;
  provenance.model = f.pipeline.model;
  const std::string model_path = resolve_model_path(f.pipeline.model, &f.pipeline.config_dir);
  if (provenance.model.empty()) provenance.model = model_path;  // found in weights/
  base.model_name = model_display_name(model_path);
  // The model's own scheduler class picks the sampler (and Karras sigmas) unless a flag or the PNG names one.
  if (f.from_png.empty() && (!given.contains("sampler") || !given.contains("karras"))) {
    PipelineOptions for_defaults = f.pipeline;
    for_defaults.model = model_path;
    const GenerationRequest defaults = model_default_request(for_defaults);
    if (!given.contains("sampler")) base.request.sampler = defaults.sampler;
    if (!given.contains("karras")) base.request.karras = defaults.karras;
  }

  std::vector<batch::PlanItem> plan = f.prompt_file.empty() ? batch::plan_single(base, f.out)
                                                            : batch::plan_prompt_file(f.prompt_file, base, f.out);
  if (!f.out.overwrite && !f.out.resume) {
    const auto existing = batch::existing_outputs(plan);
    if (!existing.empty())
      throw Error(ErrorCategory::Output,
                  existing[0] + " exists" +
                      (existing.size() > 1 ? " (and " + std::to_string(existing.size() - 1) + " more outputs)" : "") +
                      "; use --overwrite to replace or --resume to skip existing outputs");
  }
  batch::prepare_output_dir(f.out.out.empty() ? f.out.out_dir : parent_dir(f.out.out), f.out.out.empty() ? "out_dir" : "out");

  // Everything decided for the user, once, before any work: invalid items, chosen sizes, size warnings.
  ProgressPrinter progress(f.quiet, static_cast<int>(plan.size()));
  if (is_tiny_model(model_path))
    notes.push_back("note: --model tiny is a smoke-test model with random weights: images are noise by design");
  std::set<std::string> said;
  for (const auto& item : plan) {
    if (!item.error.empty()) std::cerr << "sdxl-gen: " << item.error << "\n";
    if (!item.error.empty() || item.done) continue;
    notes.insert(notes.end(), item.notes.begin(), item.notes.end());
  }
  for (const auto& n : notes)
    if (said.insert(n).second) progress.note(n);

  const int pending = batch::pending_items(plan);
  std::unique_ptr<Pipeline> pipeline;
  PipelineOptions options = f.pipeline;
  options.model = model_path;
  // With a single image to make, every model is used once anyway: load each only for its stage
  // (--low-memory's schedule), which costs nothing and keeps the peak at the largest model.
  if (pending == 1) options.low_memory = true;
  install_interrupt_handlers();
  if (pending > 0) {
    pipeline = std::make_unique<Pipeline>(options);  // checkpoints open once; a bad one fails the run here
    if (!pipeline->placement_note().empty())
      progress.note(pipeline->placement_note() + "; --dtype fp32 --vae-dtype fp32 gives reference-exact output");
    provenance.refiner = f.pipeline.refiner;
    batch::hash_models(provenance, model_path);
    // The same path with other content (a replaced checkpoint) gives another image: worth saying.
    for (const auto& [path, hash, old_path, old_hash] :
         {std::tuple{provenance.model, provenance.model_hash, recorded_provenance.model, recorded_provenance.model_hash},
          std::tuple{provenance.refiner, provenance.refiner_hash, recorded_provenance.refiner, recorded_provenance.refiner_hash}})
      if (!old_hash.empty() && path == old_path && hash != old_hash)
        progress.note("warning: " + path + " has changed since the PNG was made (content hash " + hash + ", recorded " +
                      old_hash + ")");
  }
  provenance.version = version_line();
  // LoRA files are read and matched against the model before the first item, like the checkpoints: a file
  // that cannot be used fails the run as an input error (exit 3) naming the file and the first mismatch.
  if (pipeline) {
    std::vector<LoraSpec> all;
    for (const auto& item : plan)
      if (item.error.empty() && !item.done) {
        const auto loras = pipeline->request_loras(item.request);
        all.insert(all.end(), loras.begin(), loras.end());
      }
    std::vector<std::string> skipped;
    for (const auto& line : pipeline->load_loras(all, &skipped)) progress.note(line);
    if (f.verbose)
      for (const auto& k : skipped) progress.note("lora skipped: " + k);
  }

  batch::RunOptions run;
  run.metadata = f.metadata == "full";
  run.provenance = provenance;
  if (f.grid) run.grid = (f.out.out.empty() ? f.out.out_dir : parent_dir(f.out.out)) + "/grid.png";
  const FaultHook fault = fault_hook();
  std::optional<int> single_failure;
  batch::RunEvents events;
  events.item_started = [&](const batch::PlanItem& item, int position) {
    progress.start_item(position, "\"" + item.request.prompt.substr(0, 60) + "\" seed " + std::to_string(*item.request.seed));
  };
  events.progress = [&](const batch::PlanItem& item, const Progress& p) {
    if (interrupt_requested()) throw batch::Abandon();
    if (fault) fault(item.index, p.step);
    if (p.preview.defined() && item.request.preview) io::write_png(*item.request.preview, io::from_tensor(p.preview), {});
    progress.update(p);
  };
  events.warning = [&](const batch::PlanItem&, const std::string& w) {
    if (said.insert("warning: " + w).second) progress.note("warning: " + w);
  };
  events.image_written = [&](const batch::WrittenImage& w) {
    if (f.json) std::cout << image_json(w) << std::endl;
    progress.finish_item("wrote " + w.path);
  };
  events.item_failed = [&](const batch::PlanItem& item, const std::exception& e) {
    // An item that runs out of memory fails alone: its tensors are gone once the exception is here, so
    // after giving cached GPU blocks back the next (maybe smaller) item gets the memory.
    const auto oom = as_out_of_memory(e);
    if (oom) release_cached_gpu_memory();
    const auto* error = dynamic_cast<const Error*>(&e);
    const std::string what = oom ? out_of_memory_message(*oom, &item.request, options.low_memory)
                             : error && plan.size() == 1 ? flag_message(*error) : one_line(e);
    const bool plain = plan.size() == 1 && error && !oom;  // a single request's error names its flag
    std::cerr << "sdxl-gen: " << (plain ? "" : "item " + std::to_string(item.index) +
                                                   (item.line ? " (line " + std::to_string(item.line) + ")" : "") + ": ")
              << what << "\n";
    single_failure = error && !oom ? exit_code(error->category()) : kFailed;
  };
  const double load_before = pipeline ? pipeline->load_s() : 0.0;
  const Stopwatch run_clock;
  const batch::RunSummary s = batch::run_plan(pipeline.get(), plan, run, events);
  // Models load lazily inside the run; "generate" is the rest (encode, denoise, decode, PNG), so the
  // figures README's timing table needs come from one run.
  const double generate_s = run_clock.seconds() - (pipeline ? pipeline->load_s() - load_before : 0.0);
  if (!run.grid.empty() && s.written) progress.note("wrote " + run.grid);

  if (s.abandoned) {
    // Always said, even with --quiet: the user pressed Ctrl-C and needs to know where things stand.
    std::cerr << "sdxl-gen: interrupted: " << s.written << " image(s) written, " << s.left
              << " item(s) left; to continue: " << resume_command() << "\n";
    return kInterrupted;
  }
  if (pipeline || s.written || s.failed || s.skipped || s.invalid) {
    std::ostringstream summary;
    summary << "done: " << s.written << " image(s) written, " << s.skipped << " item(s) already done, "
            << s.failed + s.invalid << " failed";
    if (pipeline) summary << "; load " << pipeline->load_s() << " s; generate " << generate_s << " s";
    summary << "; peak RSS " << static_cast<long>(peak_rss_mb()) << " MiB";
    progress.note(summary.str());
  }
  if (plan.size() == 1 && single_failure) return *single_failure;
  return s.failed || s.invalid ? kPartial : kOk;
}

}  // namespace

Command add_generate(CLI::App& app) {
  auto f = std::make_shared<GenerateFlags>();
  f->request.add_to(app);
  app.add_option("--model,-m", f->pipeline.model,
                 "Checkpoint: .safetensors single file, diffusers folder, or 'tiny' (bundled smoke-test model). "
                 "Default: the one recorded by --from-png, else the one base model in weights/")->group("Model");
  app.add_option("--config", f->pipeline.config_dir, "Diffusers-style config folder for a single-file checkpoint")->group("Model");
  app.add_option("--refiner", f->pipeline.refiner, "Refiner checkpoint (enables the refiner stage; default: the one recorded by --from-png)")->group("Model");
  app.add_option("--refiner-config", f->pipeline.refiner_config_dir, "Config folder for the refiner")->group("Model");
  app.add_flag("--low-memory", f->pipeline.low_memory, "Release each model as soon as its stage is done")->group("Model");
  app.add_option("--preview-vae", f->pipeline.preview_vae,
                 "Tiny autoencoder (TAESDXL) decoding the --preview images at full size")
      ->group("Model");
  app.add_option("--vae", f->pipeline.vae,
                 "Standalone VAE replacing the checkpoint's: AutoencoderKL (file or vae/ folder) or AutoencoderTiny "
                 "(taesdxl_decoder.safetensors, or a diffusers folder), detected by tensor names")
      ->group("Model");
  app.add_option("--lora", f->loras, "LoRA/LyCORIS .safetensors FILE[:MULTIPLIER] (repeatable; default multiplier 1)")
      ->group("Model");
  add_ip_adapter_flags(app, f->ip_adapters);
  app.add_option("--lora-dir", f->pipeline.lora_dir, "Folder searched (recursively) for <lora:NAME:MULT> prompt tags")
      ->group("Model");
  app.add_option("--embeddings-dir", f->pipeline.embeddings_dir,
                 "Textual-inversion embeddings (clip_l/clip_g .safetensors): a prompt word NAME uses DIR/**/NAME.safetensors")
      ->group("Model");
  add_runtime_flags(app, f->runtime, &f->pipeline);
  app.add_option("--out,-o", f->out.out, "Output .png (single request; default: --name in --out-dir)")->group("Output");
  app.add_option("--out-dir", f->out.out_dir, "Output folder, created with its parents when missing")
      ->capture_default_str()->group("Output");
  app.add_option("--name", f->out.name_template,
                 "Output name template: {index:05d} (item in the prompt file) {image} (image within the item) {seed} "
                 "{prompt:.40} {steps} {sampler} {cfg} {width} {height} {model}")
      ->capture_default_str()->group("Output");
  app.add_flag("--overwrite", f->out.overwrite, "Replace existing outputs")->group("Output");
  app.add_flag("--resume", f->out.resume, "Skip items whose outputs exist")->group("Output");
  app.add_option("--prompt-file", f->prompt_file,
                 ".txt (one prompt per line) or .jsonl (one request per line; the flags are its defaults)")->group("Output");
  app.add_option("--shard", f->shard, "K/N: run every N-th item starting at K")->group("Output");
  app.add_option("--from-png", f->from_png, "Re-run the request recorded in a PNG, with its model and refiner (flags override them)")->group("Output");
  app.add_option("--metadata", f->metadata, "full | none: PNG text chunks")->capture_default_str()->group("Output");
  app.add_flag("--json", f->json, "One JSON line per written image on stdout")->group("Output");
  app.add_flag("--grid", f->grid, "Also write grid.png, a contact sheet of the batch")->group("Output");
  app.add_flag("--quiet,-q", f->quiet, "No progress output")->group("Output");
  app.add_flag("--verbose", f->verbose, "List the tensors of LoRA files that matched no model weight")->group("Output");
  return Command{&app, [f] { return run_generate(*f); }};
}

}  // namespace sdxl::cli
