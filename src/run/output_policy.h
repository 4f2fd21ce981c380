// The run layer's rules for the files a run writes, applied in Run::prepare before any model loads: one
// rule for every file (images, the grid, previews, saved latents): an existing one is never replaced
// unless overwrite (or resume, which skips finished items) allows it, and its folder must be writable.
#pragma once
#include <string>

#include "sdxl/run.h"

namespace sdxl {

// The folder the images go to: the single output file's folder, else out_dir.
std::string output_folder(const OutputOptions& out);
// Output options that are wrong whatever the request: "out" with a prompt file, a folder or a non-PNG as
// "out", a shard of a single request. Usage errors naming the field.
void check_output_options(const RunSpec& spec);
// An item's own extra outputs (preview, save_latents) must go to existing writable folders (output errors
// naming the field).
void check_item_outputs(const RunItem& item);
// Refuses outputs that exist already (images of items still to run, their previews and latents, the
// grid) unless output.overwrite or output.resume allows it; an output error for the field
// "overwrite" naming the first such file.
void refuse_existing_outputs(const RunPlan& plan, const OutputOptions& out);

}  // namespace sdxl
