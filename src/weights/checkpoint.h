// Opening an SDXL checkpoint in any of its layouts as canonical (diffusers-named) tensors per component.
//
// Layouts: "single-file" (sd_xl_base_1.0.safetensors: SGM UNet, LDM VAE, CLIP-L, OpenCLIP bigG under
// model.diffusion_model. / first_stage_model. / conditioner.embedders.N.), "diffusers" (a pipeline folder
// with model_index.json) and "component" (one model: a folder with config.json, or a lone .safetensors
// file in diffusers or original naming, e.g. sdxl_vae.safetensors). Only safetensors are read: pickle
// checkpoints (.ckpt/.pt/.pth/.bin) can run arbitrary code when loaded and are refused.
#pragma once
#include "common/model_kind.h"
#include "weights/state_dict.h"

#include <nlohmann/json.hpp>

#include <map>
#include <string>

namespace sdxl {

// "base" / "refiner", for messages.
const char* to_string(ModelKind kind);

struct ComponentWeights {
  StateDict tensors;      // canonical names -> CPU tensors as stored (F16/BF16/F32): read-only views of the
                          // memory-mapped file where possible (split q/k/v, transposed projection and
                          // reshaped 1x1 convs are views too). Copy before writing to them.
  nlohmann::json config;  // diffusers / transformers config.json of this component
  std::string source;     // file the tensors come from, for messages
  std::string config_source;  // where the config came from: a config.json path or "inferred from tensor shapes"
};

struct Checkpoint {
  std::string path;
  std::string layout;  // "single-file" | "diffusers" | "component"
  ModelKind kind = ModelKind::Base;
  bool force_zeros_for_empty_prompt = true;  // model_index.json if present; else base true, refiner false
  std::map<std::string, ComponentWeights> components;  // keys among unet, vae, text_encoder, text_encoder_2
  std::string tokenizer_dir, tokenizer_2_dir;  // folder with vocab.json + merges.txt (+ special_tokens_map.json),
                                               // or "" (use the bundled CLIP tokenizer)
  nlohmann::json scheduler_config;             // scheduler/scheduler_config.json, or null
};

// `path`: a single .safetensors file, a diffusers folder, or one component folder/file.
// `config_dir`: optional diffusers-style folder whose unet/, vae/, text_encoder*/ config.json, model_index.json,
// scheduler/ and tokenizer*/ take precedence over the checkpoint's own and over shape inference (like diffusers'
// from_single_file(config=...)). Throws sdxl::Error naming the path and every missing, unexpected or
// mis-shaped tensor. Reads headers only; tensor data is mapped lazily.
Checkpoint open_checkpoint(const std::string& path, const std::string& config_dir = "");

}  // namespace sdxl
