// Canonical (diffusers) tensor names -> names in the original single-file SDXL checkpoint
// (sd_xl_base_1.0.safetensors: SGM UNet, LDM VAE, HF CLIP-L, OpenCLIP bigG), for one component.
//
// The mapping is data: a list of block rules (canonical prefix -> original prefix + a table of inner
// renames), generated from the model's block structure (levels, resnets per level, which levels have
// attention), so the same code numbers the blocks of the tiny fixtures and of full-size SDXL. Component
// prefixes (`model.diffusion_model.` ...) are not part of these names; see checkpoint_layout.h.
#pragma once
#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace sdxl {

// How the original file stores a canonical tensor.
enum class Stored {
  AsIs,
  Conv1x1,     // LDM VAE attention: 1x1 conv weight [C,C,1,1] for diffusers' Linear [C,C]
  FusedQKV,    // OpenCLIP attn.in_proj_*: q, k, v stacked along dim 0; `part` selects the slice
  Transposed,  // OpenCLIP text_projection [width, proj] used as x @ P = diffusers text_projection.weight^T
};

struct OriginalName {
  std::string name;  // without the component prefix
  Stored how = Stored::AsIs;
  int part = 0;      // FusedQKV: 0 = q, 1 = k, 2 = v
};

class OriginalNames {
 public:
  // `component`: unet, vae, text_encoder (HF CLIP names, unchanged) or text_encoder_2 (OpenCLIP names).
  OriginalNames(const std::string& component, const nlohmann::json& config);
  // Throws sdxl::Error for a name outside the component's architecture.
  OriginalName of(const std::string& canonical) const;

  struct Rename {
    const char* canonical;
    const char* original;
    Stored how = Stored::AsIs;
    int part = 0;
  };

 private:
  struct BlockRule {
    std::string canonical_prefix, original_prefix;
    const std::vector<Rename>* inner;
  };
  void add(std::string canonical_prefix, std::string original_prefix, const std::vector<Rename>& inner);
  std::string component_;
  std::vector<BlockRule> rules_;
};

// Shape of the stored tensor for a canonical shape (stored = what the original file holds).
std::vector<int64_t> stored_shape(const std::vector<int64_t>& canonical, Stored how);
// Canonical shape of a stored tensor; a stored shape that cannot be converted (e.g. in_proj rows not a
// multiple of 3) is returned unchanged so that the shape check reports it.
std::vector<int64_t> canonical_shape(const std::vector<int64_t>& stored, const OriginalName& name);
// The canonical tensor as a view of the stored one (reshape / narrow / transpose; no copy).
at::Tensor canonical_tensor(const at::Tensor& stored, const OriginalName& name);

}  // namespace sdxl
