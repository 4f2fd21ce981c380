// The default command: flags -> a RunSpec -> Run::prepare and Run::execute (sdxl/run.h), with progress,
// --json lines and the final summary on the terminal. The policy lives in the run layer; this file only
// spells it: flags, printing, field -> flag names, category -> exit code, SIGINT.
#include <iostream>
#include <sstream>

#include "cli/app.h"
#include "cli/commands.h"
#include "cli/error_report.h"
#include "cli/exit_codes.h"
#include "cli/fault_injection.h"
#include "cli/generate_flags.h"
#include "cli/interrupt.h"
#include "cli/ip_adapter_flags.h"
#include "cli/lora_flags.h"
#include "cli/progress.h"
#include "cli/runtime.h"
#include "cli/version.h"
#include "sdxl/run.h"

namespace sdxl::cli {
namespace {

std::string image_json(const ImageWritten& w) {
  GenerationRequest as_run = w.result.request;
  as_run.sampling.seed = w.seed;  // this image's own seed
  as_run.sampling.num_images = 1;
  nlohmann::json line = {{"path", w.path}, {"seed", w.seed}, {"index", w.item.index}, {"image", w.image},
                         {"timings", {{"encode_s", w.result.encode_s}, {"base_s", w.result.base_s},
                                      {"refiner_s", w.result.refiner_s}, {"decode_s", w.result.decode_s}}},
                         {"parameters", to_json(as_run)}};
  if (w.item.line) line["line"] = w.item.line;
  return line.dump();
}

// The command that continues an interrupted run: the same flags with --resume, and the seed a single
// request drew, so the continued run makes the image this one would have made.
std::string resume_command(const GenerateFlags& f, const RunPlan& plan) {
  std::string cmd = invocation();
  if (cmd.find(" --resume") == std::string::npos) cmd += " --resume";
  if (!f.spec.given.contains("seed") && f.spec.prompt_file.empty() && plan.items.size() == 1)
    cmd += " --seed " + std::to_string(*plan.items[0].request.sampling.seed);
  return cmd;
}

std::string note_line(const RunNote& n) {
  const std::string head = n.kind == RunNote::Warning ? "warning: " : n.kind == RunNote::Note ? "note: " : "";
  return head + (n.field.empty() ? "" : flag_for_field(n.field) + " ") + n.text;
}

int run_generate(GenerateFlags& f) {
  apply_runtime(f.runtime);
  RunSpec& spec = f.spec;
  spec.given = f.request.given();
  f.control.add_given(spec.given);
  if (!f.loras.empty()) spec.loras = parse_lora_flags(f.loras);
  if (f.ip_adapters.given()) spec.given["ip_adapters"] = ip_adapter_flags_json(f.ip_adapters);
  if (f.metadata != "full" && f.metadata != "none") throw usage_error("metadata", "expected full or none, got '" + f.metadata + "'");
  spec.metadata = f.metadata == "full";
  spec.version = version_line();
  spec.memory_available = available_memory_override();
  spec.continue_command = invocation() + (invocation().find(" --resume") == std::string::npos ? " --resume" : "");
  // The run layer refuses this too; here it is said in flags, the two at fault.
  const std::string file = CLI::detail::to_lower(spec.prompt_file);
  const bool jsonl = file.size() >= 6 && file.compare(file.size() - 6, 6, ".jsonl") == 0;
  if (!file.empty() && spec.given.contains("prompt") && !jsonl)
    throw UsageError("--prompt and --prompt-file " + spec.prompt_file +
                     ": a .txt prompt file gives every prompt (with .jsonl, --prompt is the default for lines without one)");
  Run run;
  const RunPlan& plan = run.prepare(spec);
  // --reproducible (given, or recorded in a --from-png image) needs its environment before any tensor code.
  if (plan.pipeline.reproducible) ensure_reproducible_environment();

  ProgressPrinter progress(f.quiet, static_cast<int>(plan.items.size()));
  for (const auto& item : plan.items)
    if (!item.error.empty()) std::cerr << "sdxl-gen: " << item.error << "\n";
  for (const auto& n : plan.notes) progress.note(note_line(n));

  install_interrupt_handlers();
  const FaultHook fault = fault_hook();
  std::optional<int> single_failure;
  RunEvents events;
  events.cancelled = [] { return interrupt_requested(); };
  events.item_started = [&](const RunItem& item, int position) {
    progress.start_item(position, "\"" + item.request.text.prompt.substr(0, 60) + "\" seed " +
                                      std::to_string(*item.request.sampling.seed));
  };
  events.progress = [&](const RunItem& item, const Progress& p) {
    if (fault) fault(item.index, p.step);
    progress.update(p);
  };
  events.note = [&](const RunNote& n) { progress.note(note_line(n)); };
  events.image_written = [&](const ImageWritten& w) {
    if (f.json) std::cout << image_json(w) << std::endl;
    progress.finish_item("wrote " + w.path);
  };
  events.item_failed = [&](const RunItem& item, const std::exception& e) {
    // An item that runs out of memory fails alone: its tensors are gone once the exception is here, so
    // after giving cached GPU blocks back the next (maybe smaller) item gets the memory.
    const auto oom = as_out_of_memory(e);
    if (oom) release_cached_gpu_memory();
    const auto* error = dynamic_cast<const Error*>(&e);
    const bool single = plan.items.size() == 1;
    const std::string what = oom ? out_of_memory_message(*oom, &item.request, plan.pipeline.low_memory)
                             : error && single ? flag_message(*error) : one_line(e);
    const bool plain = single && error && !oom;  // a single request's error names its flag
    std::cerr << "sdxl-gen: " << (plain ? "" : "item " + std::to_string(item.index) +
                                                   (item.line ? " (line " + std::to_string(item.line) + ")" : "") + ": ")
              << what << "\n";
    single_failure = error && !oom ? exit_code(error->category()) : kFailed;
  };
  const RunSummary s = run.execute(events);
  if (!s.grid.empty()) progress.note("wrote " + s.grid);

  if (s.abandoned) {
    // Always said, even with --quiet: the user pressed Ctrl-C and needs to know where things stand.
    std::cerr << "sdxl-gen: interrupted: " << s.written << " image(s) written, " << s.left
              << " item(s) left; to continue: " << resume_command(f, plan) << "\n";
    return kInterrupted;
  }
  if (s.loaded || s.written || s.failed || s.skipped || s.invalid) {
    std::ostringstream summary;
    summary << "done: " << s.written << " image(s) written, " << s.skipped << " item(s) already done, "
            << s.failed + s.invalid << " failed";
    if (s.loaded) summary << "; load " << seconds_text(s.load_s) << " s; generate " << seconds_text(s.generate_s) << " s";
    summary << "; peak RSS " << static_cast<long>(peak_rss_mb()) << " MiB";
    progress.note(summary.str());
  }
  if (plan.items.size() == 1 && single_failure) return *single_failure;
  return s.failed || s.invalid ? kPartial : kOk;
}

}  // namespace

Command add_generate(CLI::App& app) {
  auto f = std::make_shared<GenerateFlags>();
  add_generate_flags(app, *f);
  return Command{&app, [f] { return run_generate(*f); }};
}

}  // namespace sdxl::cli
