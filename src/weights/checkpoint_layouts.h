// The checkpoint layouts as data: where an SGM single file keeps each component, how a lone component
// file is recognised, and which stored tensors are known to be unused.
#pragma once
#include "weights/architecture.h"
#include "weights/checkpoint.h"

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

namespace sdxl {

// Tensor naming of a component inside a file.
enum class Naming {
  Canonical,  // diffusers / transformers names
  Original,   // SGM UNet, LDM VAE, HF CLIP-L, OpenCLIP bigG names (see original_names.h)
};

// Component prefix in an SGM single file (DiffusionEngine attribute paths). The base conditioner holds
// CLIP-L (embedder 0, Hugging Face names) and OpenCLIP bigG (embedder 1); the refiner's only bigG (embedder 0).
struct SingleFilePart {
  std::string component, prefix;
};
const std::vector<SingleFilePart>& single_file_parts(ModelKind kind);
// A key with one of these prefixes marks a file as single-file layout.
const std::vector<std::string>& single_file_markers();
// The refiner layout is recognised by this prefix (bigG as embedder 0).
extern const char* const kRefinerEmbedderPrefix;
// Present only in the base layout (CLIP-L as embedder 0).
extern const char* const kBaseEmbedderPrefix;

// A tensor whose presence identifies a lone component file and its naming; first match wins.
struct ComponentSignature {
  std::string component;
  Naming naming;
  std::string tensor;
};
const std::vector<ComponentSignature>& component_signatures();

// Known-unused stored tensors (skipped and listed, never an error): `component` = "" for names relative to
// the file (denoiser.sigmas, model_ema.*), else names relative to the component (position_ids, logit_scale).
bool is_unused_tensor(const std::string& component, const std::string& name);

// Names and shapes of an SGM single file holding models built from `configs` (component -> config),
// without the unused tensors: the inverse of what open_checkpoint maps.
ShapeMap single_file_tensors(ModelKind kind, const std::map<std::string, nlohmann::json>& configs);

}  // namespace sdxl
