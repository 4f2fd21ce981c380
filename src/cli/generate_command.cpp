// The default command: generate images for one request or a prompt file (batches, shards, resume),
// write PNGs atomically with metadata, report progress and timings.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "cli/batch_plan.h"
#include "cli/commands.h"
#include "cli/error_report.h"
#include "cli/exit_codes.h"
#include "cli/interrupt.h"
#include "cli/lora_flags.h"
#include "cli/model_path.h"
#include "cli/progress.h"
#include "cli/request_flags.h"
#include "cli/runtime.h"
#include "io/png.h"
#include "io/safetensors.h"
#include "pipeline/png_metadata.h"
#include "sdxl/pipeline.h"

namespace sdxl::cli {
namespace {

struct GenerateFlags {
  RequestFlags request;
  OutputOptions out;
  PipelineOptions pipeline;
  RuntimeFlags runtime;
  std::string prompt_file, shard, from_png, metadata = "full";
  std::vector<std::string> loras;  // --lora FILE[:MULTIPLIER]
  bool json = false, quiet = false, grid = false, verbose = false;
};

// Contact sheet of a batch, images in batch order, as close to square as the count allows.
io::Image make_grid(const std::vector<at::Tensor>& images) {
  const int n = static_cast<int>(images.size());
  int cols = 1;
  while (cols * cols < n) ++cols;
  const int rows = (n + cols - 1) / cols;
  int64_t h = 0, w = 0;
  for (const auto& im : images) h = std::max(h, im.size(0)), w = std::max(w, im.size(1));
  at::Tensor sheet = at::zeros({rows * h, cols * w, 3}, at::kByte);
  for (int i = 0; i < n; ++i) {
    const auto& im = images[i];
    sheet.narrow(0, (i / cols) * h, im.size(0)).narrow(1, (i % cols) * w, im.size(1)).copy_(im);
  }
  return io::from_tensor(sheet);
}

void ensure_dir(const std::string& dir) {
  if (dir.empty() || dir == ".") return;
  struct stat st {};
  if (stat(dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) throw UsageError("--out-dir: " + dir + " is not a directory");
    return;
  }
  if (mkdir(dir.c_str(), 0755) != 0) throw UsageError("output folder " + dir + " cannot be created");
}

void ensure_writable_dir(const std::string& dir) {
  ensure_dir(dir);
  if (access(dir.empty() ? "." : dir.c_str(), W_OK) != 0) throw UsageError("output folder " + dir + " is not writable");
}

std::string parent_dir(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

// Test hook (robustness tests): SDXL_GEN_FAIL_ITEM=N makes item N fail mid-way through sampling;
// SDXL_GEN_FAIL_ITEM=N:oom makes it fail as a CUDA out-of-memory error does (c10::OutOfMemoryError).
struct ForcedFailure {
  int item = -1;
  bool oom = false;
};

ForcedFailure forced_failure() {
  const char* v = std::getenv("SDXL_GEN_FAIL_ITEM");
  if (!v) return {};
  const std::string spec = v;
  return {std::atoi(v), spec.size() > 4 && spec.compare(spec.size() - 4, 4, ":oom") == 0};
}

[[noreturn]] void throw_forced_failure(const ForcedFailure& f) {
  if (f.oom)
    C10_THROW_ERROR(OutOfMemoryError,
                    "CUDA out of memory. Tried to allocate 2.00 GiB. GPU 0 has a total capacity of 79.19 GiB of "
                    "which 1.06 GiB is free. (simulated by SDXL_GEN_FAIL_ITEM)");
  throw Error("forced failure (SDXL_GEN_FAIL_ITEM)");
}

int run_generate(GenerateFlags& f) {
  apply_runtime(f.runtime);
  GenerationRequest base;
  if (!f.from_png.empty()) {
    std::vector<std::pair<std::string, std::string>> chunks;
    io::read_png(f.from_png, &chunks);
    base = request_from_png_chunks(chunks, f.from_png);  // keeps the recorded seed: same request, same image
  }
  try {
    base = request_from_json(f.request.given(), base);
  } catch (const Error& e) {
    throw UsageError(e.what());
  }
  if (!f.loras.empty()) base.loras = parse_lora_flags(f.loras);
  if (f.prompt_file.empty() && f.request.given().count("prompt") == 0 && f.from_png.empty())
    throw UsageError("--prompt (or --prompt-file, --from-png) is required; see --help");
  if (!f.shard.empty()) std::tie(f.out.shard_index, f.out.shard_count) = parse_shard(f.shard);
  if (f.metadata != "full" && f.metadata != "none") throw UsageError("--metadata: expected full or none");
  if (!f.out.out.empty() && !f.prompt_file.empty()) throw UsageError("--out names one file; use --out-dir with --prompt-file");

  f.pipeline.model = resolve_model_path(f.pipeline.model, &f.pipeline.config_dir);
  const std::string model_name = model_display_name(f.pipeline.model);
  std::vector<PlanItem> plan;
  if (f.prompt_file.empty()) {
    try {
      plan = plan_single(base, f.out, model_name);
    } catch (const Error& e) {
      throw UsageError(e.what());
    }
    if (!plan[0].error.empty()) throw UsageError(plan[0].error);
  } else {
    plan = plan_prompt_file(f.prompt_file, base, f.out, model_name);
  }
  ensure_writable_dir(f.out.out.empty() ? f.out.out_dir : parent_dir(f.out.out));

  ProgressPrinter progress(f.quiet, static_cast<int>(plan.size()));
  if (is_tiny_model(f.pipeline.model))
    progress.note("note: --model tiny is a smoke-test model with random weights: images are noise by design");
  install_interrupt_handlers();
  std::unique_ptr<Pipeline> pipeline;
  int failed = 0, written = 0, skipped = 0;
  const ForcedFailure forced = forced_failure();
  std::vector<at::Tensor> grid_images;
  // Checkpoints open once, before the first item; one that cannot be opened fails the whole run (exit 3).
  // With a single image to make, every model is used once anyway: load each only for its stage
  // (--low-memory's schedule), which costs nothing and keeps the peak at the largest model.
  const auto pending = std::count_if(plan.begin(), plan.end(), [](const PlanItem& i) { return i.error.empty() && !i.done; });
  if (pending == 1) f.pipeline.low_memory = true;
  if (pending > 0) pipeline = std::make_unique<Pipeline>(f.pipeline);
  // LoRA files are read and matched against the model before the first item, like the checkpoints: a file
  // that cannot be used fails the run as an input error (exit 3) naming the file and the first mismatch.
  if (pipeline) {
    std::vector<LoraSpec> all;
    for (const PlanItem& item : plan)
      if (item.error.empty() && !item.done) {
        const auto loras = pipeline->request_loras(item.request);
        all.insert(all.end(), loras.begin(), loras.end());
      }
    std::vector<std::string> skipped;
    for (const auto& line : pipeline->load_loras(all, &skipped)) progress.note(line);
    if (f.verbose)
      for (const auto& k : skipped) progress.note("lora skipped: " + k);
  }
  for (size_t pos = 0; pos < plan.size(); ++pos) {
    PlanItem& item = plan[pos];
    if (interrupt_requested()) break;
    if (!item.error.empty()) {
      std::cerr << "sdxl-gen: " << item.error << "\n";
      ++failed;
      continue;
    }
    if (item.done) {
      ++skipped;
      continue;
    }
    progress.start_item(static_cast<int>(pos), "\"" + item.request.prompt.substr(0, 60) + "\" seed " +
                                                   std::to_string(*item.request.seed));
    try {
      GenerationResult result = pipeline->generate(item.request, [&](const Progress& p) {
        if (interrupt_requested()) throw Interrupted();
        if (item.index == forced.item && p.step == 1) throw_forced_failure(forced);
        progress.update(p);
      });
      for (const auto& w : result.warnings) progress.note("warning: " + w);
      for (const auto& line : result.adapter_reports) progress.note(line);
      for (size_t i = 0; i < item.outputs.size(); ++i) {
        at::Tensor hwc = result.images[static_cast<int64_t>(i)];
        auto chunks = f.metadata == "full" ? png_text_chunks(result.request, result.seeds[i], model_name)
                                           : std::vector<std::pair<std::string, std::string>>{};
        io::write_png(item.outputs[i], io::from_tensor(hwc), chunks);
        if (f.grid) grid_images.push_back(hwc);
        ++written;
        if (f.json) {
          nlohmann::json line = {{"path", item.outputs[i]},
                                 {"seed", result.seeds[i]},
                                 {"index", item.index},
                                 {"timings", {{"encode_s", result.encode_s}, {"base_s", result.base_s},
                                              {"refiner_s", result.refiner_s}, {"decode_s", result.decode_s}}},
                                 {"parameters", to_json(result.request)}};
          if (item.line) line["line"] = item.line;
          std::cout << line.dump() << std::endl;
        }
        progress.finish_item("wrote " + item.outputs[i]);
      }
      if (item.request.save_latents) {
        std::map<std::string, at::Tensor> tensors = {{"latents", result.latents}};
        if (result.base_latents.defined()) tensors["base_latents"] = result.base_latents;
        for (size_t s = 0; s < result.trajectory.size(); ++s) tensors["step_" + std::to_string(s)] = result.trajectory[s];
        io::save_safetensors(*item.request.save_latents, tensors);
      }
    } catch (const Interrupted&) {
      progress.note("interrupted: abandoned the current image (no file written)");
      break;
    } catch (const std::exception& e) {
      // An item that runs out of memory fails alone: its tensors are gone once the exception is here, so
      // after giving cached GPU blocks back the next (maybe smaller) item gets the memory.
      const auto oom = as_out_of_memory(e);
      if (oom) release_cached_gpu_memory();
      const std::string what = oom ? out_of_memory_message(*oom, &item.request, f.pipeline.low_memory) : one_line(e);
      std::cerr << "sdxl-gen: item " << item.index << (item.line ? " (line " + std::to_string(item.line) + ")" : "")
                << ": " << what << "\n";
      ++failed;
      if (plan.size() == 1 && !oom) return kFailed;
    }
  }
  if (f.grid && !grid_images.empty()) {
    const std::string grid_path = (f.out.out.empty() ? f.out.out_dir : parent_dir(f.out.out)) + "/grid.png";
    io::write_png(grid_path, make_grid(grid_images), {});
    progress.note("wrote " + grid_path);
  }
  if (pipeline || written || failed || skipped) {
    std::ostringstream summary;
    summary << "done: " << written << " image(s) written, " << skipped << " item(s) already done, " << failed
            << " failed";
    if (pipeline) summary << "; load " << pipeline->load_s() << " s";
    summary << "; peak RSS " << static_cast<long>(peak_rss_mb()) << " MiB";
    progress.note(summary.str());
  }
  if (interrupt_requested()) return kInterrupted;
  return failed ? (plan.size() == 1 ? kFailed : kPartial) : kOk;
}

}  // namespace

Command add_generate(CLI::App& app) {
  auto f = std::make_shared<GenerateFlags>();
  f->request.add_to(app);
  app.add_option("--model,-m", f->pipeline.model,
                 "Checkpoint: .safetensors single file, diffusers folder, or 'tiny' (bundled smoke-test model). "
                 "Default: the one base model in weights/")->group("Model");
  app.add_option("--config", f->pipeline.config_dir, "Diffusers-style config folder for a single-file checkpoint")->group("Model");
  app.add_option("--refiner", f->pipeline.refiner, "Refiner checkpoint (enables the refiner stage)")->group("Model");
  app.add_option("--refiner-config", f->pipeline.refiner_config_dir, "Config folder for the refiner")->group("Model");
  app.add_flag("--low-memory", f->pipeline.low_memory, "Release each model as soon as its stage is done")->group("Model");
  app.add_option("--lora", f->loras, "LoRA/LyCORIS .safetensors FILE[:MULTIPLIER] (repeatable; default multiplier 1)")
      ->group("Model");
  app.add_option("--lora-dir", f->pipeline.lora_dir, "Folder searched (recursively) for <lora:NAME:MULT> prompt tags")
      ->group("Model");
  app.add_option("--embeddings-dir", f->pipeline.embeddings_dir,
                 "Textual-inversion embeddings (clip_l/clip_g .safetensors): a prompt word NAME uses DIR/**/NAME.safetensors")
      ->group("Model");
  app.add_flag("--verbose", f->verbose, "List the tensors of LoRA files that matched no model weight")->group("Output");
  add_runtime_flags(app, f->runtime, &f->pipeline);
  app.add_option("--out,-o", f->out.out, "Output PNG (single request; default: template in --out-dir)")->group("Output");
  app.add_option("--out-dir", f->out.out_dir, "Output folder (default .)")->group("Output");
  app.add_option("--name", f->out.name_template,
                 "Output name template: {index:05d} {seed} {prompt:.40} {steps} {sampler} {cfg} {width} {height} {model}")
      ->group("Output");
  app.add_flag("--overwrite", f->out.overwrite, "Replace existing outputs")->group("Output");
  app.add_flag("--resume", f->out.resume, "Skip items whose outputs exist")->group("Output");
  app.add_option("--prompt-file", f->prompt_file, ".txt (one prompt per line) or .jsonl (one request per line)")->group("Output");
  app.add_option("--shard", f->shard, "K/N: run every N-th item starting at K")->group("Output");
  app.add_option("--from-png", f->from_png, "Re-run the request recorded in a PNG (flags override it)")->group("Output");
  app.add_option("--metadata", f->metadata, "full (default) | none: PNG text chunks")->group("Output");
  app.add_flag("--json", f->json, "One JSON line per written image on stdout")->group("Output");
  app.add_flag("--grid", f->grid, "Also write grid.png, a contact sheet of the batch")->group("Output");
  app.add_flag("--quiet,-q", f->quiet, "No progress output")->group("Output");
  return Command{&app, [f] { return run_generate(*f); }};
}

}  // namespace sdxl::cli
