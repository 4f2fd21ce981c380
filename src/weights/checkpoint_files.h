// Filesystem side of checkpoint loading: which file of a folder holds the weights, refusing pickle
// checkpoints, reading config JSON. Every error names the path.
#pragma once
#include "io/safetensors.h"

#include <nlohmann/json.hpp>

#include <memory>
#include <string>

namespace sdxl::checkpoint_files {

bool is_dir(const std::string& path);
bool is_file(const std::string& path);  // regular file (git link placeholders followed)
std::string join(const std::string& dir, const std::string& name);

// Throws sdxl::Error if `path` is a pickle checkpoint (by extension .ckpt/.pt/.pth/.pkl, or by its first
// bytes: a pickle protocol header or torch.save's zip container), explaining why and how to convert.
void refuse_pickle(const std::string& path);

// Opens a safetensors file after the checks above (placeholders followed, folders refused).
std::shared_ptr<io::SafetensorsFile> open_weights(const std::string& path);

// The weights file in a diffusers component folder: model.safetensors or diffusion_pytorch_model.safetensors,
// else their .fp16 variant. Refuses a folder holding only pickle weights; throws naming the folder if none.
std::string find_weights_file(const std::string& folder);

// Parses a JSON file; throws naming the path if it is unreadable or not valid JSON.
nlohmann::json read_json(const std::string& path);
// `dir/rel` parsed if that file exists, else null.
nlohmann::json read_json_if_present(const std::string& dir, const std::string& rel);

}  // namespace sdxl::checkpoint_files
