// What a PNG recorded about how it was made (--from-png): its request and the models, hashes and version
// (pipeline/png_metadata.h), and the content hashes of the models a new run uses, to record in turn.
#pragma once
#include <string>

#include "pipeline/png_metadata.h"
#include "sdxl/request.h"

namespace sdxl::batch {

struct Recorded {
  GenerationRequest request;  // with the recorded seed: the same request gives the same image
  Provenance provenance;
};

// Reads `png`; an unreadable file or metadata is an input error for the field "from_png".
Recorded read_recorded(const std::string& png);

// Fills the content hashes of `p.model` (found at `model_path`) and of `p.refiner`, when set.
void hash_models(Provenance& p, const std::string& model_path);

}  // namespace sdxl::batch
