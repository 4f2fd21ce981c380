// Where the model option points: an explicit path, 'tiny' (the bundled smoke-test model), or the one base
// checkpoint found in weights/.
#pragma once
#include <string>

namespace sdxl {

// Resolves the model option; for 'tiny' also fills *config_dir when empty. Throws with download instructions
// when nothing usable is found.
std::string resolve_model_path(const std::string& model, std::string* config_dir);
bool is_tiny_model(const std::string& resolved);
std::string tiny_model_dir();

}  // namespace sdxl
