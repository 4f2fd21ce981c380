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

// The web-UI parameters text for image `seed` of `r` (seed is per image).
std::string a1111_parameters(const GenerationRequest& r, uint64_t seed, const std::string& model_name);
// Parses that text back (best effort for fields sdxl-gen understands; others are ignored).
// Throws sdxl::Error when the text has no parameters line.
GenerationRequest parse_a1111_parameters(const std::string& text, const GenerationRequest& base);

// Web UI sampler name <-> ours ("Euler a" <-> euler_a; "DPM++ 2M" + Karras schedule <-> dpmpp_2m, karras).
std::string a1111_sampler_name(const std::string& sampler);

// The chunks written into each PNG (empty when metadata is off). `runtime` (GenerationResult::runtime: dtypes,
// device, a swapped VAE) is recorded as the JSON's "runtime" object and, for the VAE and dtype, in the text.
std::vector<std::pair<std::string, std::string>> png_text_chunks(const GenerationRequest& r, uint64_t seed,
                                                                 const std::string& model_name,
                                                                 const nlohmann::json& runtime = nullptr);
// Request recorded in a PNG's chunks: the `sdxl-gen` JSON when present, else the `parameters` text.
GenerationRequest request_from_png_chunks(const std::vector<std::pair<std::string, std::string>>& chunks,
                                          const std::string& path);

}  // namespace sdxl
