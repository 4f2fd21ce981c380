#include "batch/recorded.h"

#include "common/error.h"
#include "io/png.h"
#include "weights/model_hash.h"

namespace sdxl::batch {

Recorded read_recorded(const std::string& png) {
  Recorded r;
  io::PngText chunks;
  try {
    io::read_png(png, &chunks);
    r.request = request_from_png_chunks(chunks, png);
  } catch (const Error& e) {
    throw input_error("from_png", e.what());
  }
  r.provenance = provenance_from_png_chunks(chunks);
  return r;
}

void hash_models(Provenance& p, const std::string& model_path) {
  p.model_hash = model_hash(model_path);
  p.refiner_hash = p.refiner.empty() ? "" : model_hash(p.refiner);
}

}  // namespace sdxl::batch
