// Architecture detection for checkpoints without a config.json: the diffusers config of each component,
// derived from tensor names and shapes in the original single-file layout (header only).
//
// Shapes fix widths, depths and block types, but not everything: the number of attention heads is
// assumed from SDXL's head width 64 (heads = channels / 64), the activations from SDXL's encoders (CLIP-L
// quick_gelu, bigG gelu), and the remaining settings (norm groups, eps, VAE scaling factor, ...) are the
// SDXL presets'. Whatever cannot be derived is listed in `unresolved`; callers refuse such configs and ask
// for a config folder (the tiny test models, with head width 16, are an example).
#pragma once
#include "weights/architecture.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace sdxl {

struct InferredConfig {
  nlohmann::json config;
  std::vector<std::string> unresolved;  // "attention_head_dim: 32 channels is not a multiple of 64", ...
};

// SGM UNet names without the "model.diffusion_model." prefix. `pooled_dim` (text encoder 2 projection
// width) and `num_time_ids` (6 base, 5 refiner) give addition_time_embed_dim = (add-embedding input -
// pooled) / ids; pass 0 when unknown (then SDXL's 256 is assumed and reported as unresolved unless the
// sizes fit SDXL's pooled 1280).
InferredConfig infer_unet_config(const ShapeMap& sgm, int64_t pooled_dim, int num_time_ids);
// LDM VAE names without the "first_stage_model." prefix.
InferredConfig infer_vae_config(const ShapeMap& ldm);
// Hugging Face CLIP names (text_encoder, or text_encoder_2 in diffusers naming).
InferredConfig infer_clip_config(const ShapeMap& hf, const std::string& component);
// OpenCLIP names of text encoder 2 (single-file "conditioner.embedders.N.model." stripped).
InferredConfig infer_open_clip_config(const ShapeMap& open_clip);

}  // namespace sdxl
