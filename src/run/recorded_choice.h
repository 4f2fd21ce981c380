// Re-running a PNG (RunSpec::from_png): which recorded setting the run uses when the user gave none, and
// what it says about it. Everything that changes pixels is restored: the models, the embeddings folder,
// the swapped VAE and the dtypes (a bf16 re-run of an fp32 image differs by several levels).
#pragma once
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "pipeline/png_metadata.h"
#include "sdxl/run.h"

namespace sdxl {

// `field` ("model", "refiner"): the option when given (a note when it overrides the recording), else the
// recorded path, which must still be there (an input error otherwise).
std::string choose_recorded_model(const std::string& given, const std::string& recorded, const char* field,
                                  std::vector<RunNote>& notes);
// The embeddings folder when given, else the recorded one, where every embedding the image used must be.
std::string choose_recorded_embeddings_dir(const std::string& given, const Provenance& recorded,
                                           std::vector<RunNote>& notes);
// dtype, vae_dtype ("auto" = not chosen) and vae ("" = not chosen) from the recorded runtime.
void apply_recorded_runtime(PipelineOptions& options, const Provenance& recorded, std::vector<RunNote>& notes);

}  // namespace sdxl
