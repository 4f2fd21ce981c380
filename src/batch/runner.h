// Runs a batch plan on a pipeline: each pending item is generated, its images written atomically (PNG with
// metadata, optional latents), and a failing item is reported and skipped so the rest still run. The
// caller watches through events (progress, written images, failures) and can stop between steps by
// throwing batch::Abandon from the progress event.
#pragma once
#include <exception>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "batch/plan.h"
#include "io/png.h"
#include "pipeline/png_metadata.h"
#include "sdxl/pipeline.h"

namespace sdxl::batch {

// Thrown from the progress event to abandon the current item and stop the batch (e.g. on SIGINT).
struct Abandon : std::exception {
  const char* what() const noexcept override { return "abandoned"; }
};

struct RunOptions {
  bool metadata = true;      // PNG text chunks with the request
  Provenance provenance;     // model, refiner, version recorded in the metadata
  std::string grid;          // also write a contact sheet of every image here ("" = none)
  // Write no PNG file: the bytes go to events.image_written only, and the request's preview path is not
  // recorded (sdxl/run.h OutputOptions::in_memory).
  bool in_memory = false;
};

struct WrittenImage {
  const PlanItem& item;
  int image;  // within the item
  const std::string& path;  // "" when in memory
  const GenerationResult& result;
  std::string_view png;  // the file's bytes
  const io::PngText& text;  // its text chunks
};

struct RunEvents {
  std::function<void(const PlanItem&, int position)> item_started;
  std::function<void(const PlanItem&, const Progress&)> progress;  // may throw Abandon
  std::function<void(const WrittenImage&)> image_written;
  std::function<void(const PlanItem&, const std::string& warning)> warning;
  // An item failed (its exception); the batch goes on with the next one.
  std::function<void(const PlanItem&, const std::exception&)> item_failed;
};

struct RunSummary {
  int written = 0;      // images
  int skipped = 0;      // items already done (resume)
  int invalid = 0;      // items the plan rejected
  int failed = 0;       // items that failed while generating
  int left = 0;         // items not attempted because the batch was abandoned
  bool abandoned = false;
};

// `pipeline` may be null only when the plan has no pending item.
RunSummary run_plan(Pipeline* pipeline, std::vector<PlanItem>& plan, const RunOptions& options,
                    const RunEvents& events);

}  // namespace sdxl::batch
