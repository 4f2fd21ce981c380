// Built-in diffusers configs of the published SDXL 1.0 models (stabilityai/stable-diffusion-xl-base-1.0 and
// -refiner-1.0), for single files that come without a config folder. Values as in the published
// config.json files (tests/fixtures/sdxl_keys/diffusers_*.json "config").
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace sdxl {

// Presets: "sdxl-base" (unet, vae, text_encoder, text_encoder_2), "sdxl-refiner" (unet, vae, text_encoder_2).
std::vector<std::string> preset_components(const std::string& preset);
// Full config.json of one component; throws sdxl::Error naming the preset/component if there is none.
nlohmann::json preset_config(const std::string& preset, const std::string& component);
// Parameters per component of a preset (component -> count), from expected_tensors; the text_encoder_2
// count includes text_projection (CLIPTextModelWithProjection).
std::map<std::string, int64_t> preset_param_counts(const std::string& preset);

}  // namespace sdxl
