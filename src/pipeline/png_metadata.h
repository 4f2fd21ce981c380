// Generation parameters stored in PNG text chunks:
//  - `parameters`: the popular web UI's (AUTOMATIC1111) text format, which those tools and their users read:
//      <prompt>
//      Negative prompt: <negative>
//      Steps: 30, Sampler: Euler, CFG scale: 5.0, Seed: 42, Size: 1024x768, Model: sd_xl_base_1.0, ...
//  - `sdxl-gen`: the full request as JSON (lossless; preferred when re-running with --from-png).
#pragma once
#include <nlohmann/json.hpp>

#include <string>
#include <utility>
#include <vector>

#include "sdxl/request.h"

namespace sdxl {

// "weights/sd_xl_base_1.0.safetensors" -> "sd_xl_base_1.0": the web UI's Model field.
std::string model_display_name(const std::string& model_path);

// The web-UI parameters text for image `seed` of `r` (seed is per image).
std::string a1111_parameters(const GenerationRequest& r, uint64_t seed, const std::string& model_name);
// Parses that text back (best effort for fields sdxl-gen understands; others are ignored).
// Throws sdxl::Error when the text has no parameters line.
GenerationRequest parse_a1111_parameters(const std::string& text, const GenerationRequest& base);

// Web UI sampler name <-> ours ("Euler a" <-> euler_a; "DPM++ 2M" + Karras schedule <-> dpmpp_2m, karras).
std::string a1111_sampler_name(const std::string& sampler);

// What made an image besides its request: the models as the user named them, a short content hash of
// each (so a renamed or replaced file is noticed), and the program version.
struct Provenance {
  std::string model, model_hash;      // the model path as given, e.g. "weights/sd_xl_base_1.0.safetensors"
  std::string refiner, refiner_hash;  // empty without a refiner stage
  std::string version;                // e.g. "sdxl-gen 0.1.0 (abc1234)"
  // Textual inversion: the embeddings folder (restored by --from-png) and the embeddings this image's prompts
  // used (JSON "embeddings": [{"name", "path", "sha256"}]; web-UI text "TI hashes").
  std::string embeddings_dir;
  std::vector<EmbeddingUse> embeddings;
  // GenerationResult::runtime (dtypes, device, a swapped VAE): the JSON's "runtime" object and, for the VAE
  // and dtype, the web-UI text. Read back for --from-png, which runs with the recorded dtypes and VAE.
  nlohmann::json runtime;
  // The prompt as the user wrote it, <lora:NAME:w> tags included, for the web-UI text (the web UI keeps the
  // tags in its infotext, next to "Lora hashes"); "" = the request's prompt. The `sdxl-gen` JSON keeps the
  // request as run: tags resolved into `loras`.
  std::string written_prompt;
  // Image i of a --batch-noise shared batch: the batch is one sample from one generator, so the image is
  // reproduced only by the whole batch (num_images kept in the request) and this index; -1 otherwise.
  int batch_image = -1;
};

// Provenance::embeddings as the `sdxl-gen` chunk records them: [{"name", "path", "sha256"}, ...].
nlohmann::json embeddings_json(const std::vector<EmbeddingUse>& embeddings);

// The chunks written into each PNG (empty when metadata is off).
std::vector<std::pair<std::string, std::string>> png_text_chunks(const GenerationRequest& r, uint64_t seed,
                                                                 const Provenance& provenance);
std::vector<std::pair<std::string, std::string>> png_text_chunks(const GenerationRequest& r, uint64_t seed,
                                                                 const std::string& model_name);
// The provenance recorded in a PNG's `sdxl-gen` chunk (fields empty when not recorded).
Provenance provenance_from_png_chunks(const std::vector<std::pair<std::string, std::string>>& chunks);
// Request recorded in a PNG's chunks: the `sdxl-gen` JSON when present, else the `parameters` text.
GenerationRequest request_from_png_chunks(const std::vector<std::pair<std::string, std::string>>& chunks,
                                          const std::string& path);

}  // namespace sdxl
