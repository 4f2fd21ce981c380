#include "batch/runner.h"

#include <map>

#include "common/error.h"
#include "io/atomic_file.h"
#include "io/png.h"
#include "io/safetensors.h"

namespace sdxl::batch {
namespace {

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

void save_latents(const PlanItem& item, const GenerationResult& result) {
  std::map<std::string, at::Tensor> tensors = {{"latents", result.latents}};
  if (result.base_latents.defined()) tensors["base_latents"] = result.base_latents;
  for (size_t s = 0; s < result.trajectory.size(); ++s) tensors["step_" + std::to_string(s)] = result.trajectory[s];
  io::save_safetensors(*item.request.output.save_latents, tensors);
}

}  // namespace

RunSummary run_plan(Pipeline* pipeline, std::vector<PlanItem>& plan, const RunOptions& options,
                    const RunEvents& events) {
  RunSummary summary;
  std::vector<at::Tensor> grid_images;
  for (size_t pos = 0; pos < plan.size(); ++pos) {
    PlanItem& item = plan[pos];
    if (!item.error.empty()) {
      ++summary.invalid;
      continue;
    }
    if (item.done) {
      ++summary.skipped;
      continue;
    }
    if (summary.abandoned) {
      ++summary.left;
      continue;
    }
    if (events.item_started) events.item_started(item, static_cast<int>(pos));
    try {
      GenerationResult result = pipeline->generate(item.request, [&](const Progress& p) {
        if (events.progress) events.progress(item, p);
      });
      if (events.warning)
        for (const auto& w : result.warnings) events.warning(item, w);
      Provenance provenance = options.provenance;
      provenance.runtime = result.runtime;
      provenance.embeddings = result.embeddings;
      if (item.request.text.prompt != result.request.text.prompt) provenance.written_prompt = item.request.text.prompt;
      GenerationRequest recorded = result.request;
      if (options.in_memory) {  // the previews went to the caller, not to a file a re-run could write
        recorded.output.preview.reset();
        recorded.output.preview_every = OutputParams{}.preview_every;
      }
      for (size_t k = 0; k < item.outputs.size(); ++k) {
        const size_t i = item.only_image >= 0 ? static_cast<size_t>(item.only_image) : k;
        at::Tensor hwc = result.images[static_cast<int64_t>(i)];
        // A shared-noise batch's image is reproduced only with its batch: record the batch and the index.
        const bool shared =
            result.request.sampling.batch_noise == BatchNoise::Shared && result.request.sampling.num_images > 1;
        provenance.batch_image = shared ? static_cast<int>(i) : -1;
        const auto chunks = options.metadata ? png_text_chunks(recorded, result.seeds[i], provenance) : io::PngText{};
        static const std::string kNoPath;
        std::string png;
        try {
          png = io::encode_png(io::from_tensor(hwc), chunks);
        } catch (const Error& e) {  // as io::write_png reports it
          throw Error(ErrorCategory::Input, "", (options.in_memory ? std::string("image") : item.outputs[k]) + ": " + e.what());
        }
        if (!options.in_memory) io::write_file_atomic(item.outputs[k], png);
        if (!options.grid.empty()) grid_images.push_back(hwc);
        ++summary.written;
        if (events.image_written)
          events.image_written(WrittenImage{item, static_cast<int>(i), options.in_memory ? kNoPath : item.outputs[k], result, png, chunks});
      }
      if (item.request.output.save_latents) save_latents(item, result);
    } catch (const Abandon&) {
      summary.abandoned = true;
      ++summary.left;  // the current item is not written
    } catch (const std::exception& e) {
      ++summary.failed;
      if (events.item_failed) events.item_failed(item, e);
    }
  }
  if (!options.grid.empty() && !grid_images.empty()) io::write_png(options.grid, make_grid(grid_images), {});
  return summary;
}

}  // namespace sdxl::batch
