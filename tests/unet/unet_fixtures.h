// Shared by the UNet tests: the tiny base/refiner UNets of tests/fixtures built from their config.json
// and loaded strictly from their diffusers safetensors (canonical names).
#pragma once
#include "test_util.h"
#include "unet/unet.h"
#include "weights/presets.h"
#include "weights/state_dict.h"

namespace sdxl::test {

// A UNet config.json file (the product reads configs through the checkpoint loader).
inline UNetConfig unet_config_file(const std::string& path) { return UNetConfig::from_json(read_json(path), path); }

// SDXL 1.0 base / refiner UNets (the `unet/config.json` of stabilityai/stable-diffusion-xl-{base,refiner}-1.0),
// from the presets.
inline UNetConfig sdxl_unet_config(const char* preset) {
  return UNetConfig::from_json(preset_config(preset, "unet"), std::string("built-in ") + preset + " unet config");
}

// "tiny-sdxl" or "tiny-sdxl-refiner".
inline std::string unet_dir(const std::string& model) { return fixture(model + "/unet"); }

inline StateDict unet_weights(const std::string& model) {
  auto file = io::SafetensorsFile::open(unet_dir(model) + "/diffusion_pytorch_model.safetensors");
  StateDict out;
  for (const auto& t : file->tensors()) out[t.name] = file->tensor(t.name);
  return out;
}

// float32 CPU model; loaded once per process (tests only read it).
inline UNet2DConditionModel& tiny_unet(const std::string& model) {
  static std::map<std::string, UNet2DConditionModel> cache;
  auto it = cache.find(model);
  if (it == cache.end()) {
    UNet2DConditionModel unet(unet_config_file(unet_dir(model) + "/config.json"));
    load_state_dict(*unet, unet_weights(model), model + " unet");
    unet->eval();
    it = cache.emplace(model, unet).first;
  }
  return it->second;
}

// Golden tensors of model_golden.safetensors, loaded once.
inline const std::map<std::string, at::Tensor>& model_golden() {
  static const auto golden = load_golden("model_golden.safetensors");
  return golden;
}

inline at::Tensor golden(const std::string& name) {
  auto it = model_golden().find(name);
  if (it == model_golden().end()) throw std::runtime_error("model_golden.safetensors has no tensor " + name);
  return it->second;
}

}  // namespace sdxl::test
