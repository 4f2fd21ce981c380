// Control model files: which kind a file is (from its tensor names, never its file name) and loading a
// ControlNet in any of its layouts as a ControlNetModel with diffusers names.
//
// Layouts: a diffusers folder (config.json with _class_name ControlNetModel + safetensors weights), a single
// .safetensors with diffusers keys (controlnet_cond_embedding.*, controlnet_down_blocks.N,
// controlnet_mid_block), or the original cldm/SGM layout (input_hint_block.*, zero_convs.N.0,
// middle_block_out.0, input_blocks.*, optionally under `control_model.`), renamed with the UNet's SGM tables
// (weights/original_names.h). Without a config the architecture is the base UNet's, with what the tensors
// decide taken from their shapes: transformer depth per level, conditioning-embedding widths, channels.
#pragma once
#include <nlohmann/json.hpp>

#include <array>
#include <map>
#include <string>
#include <vector>

#include "common/enum_table.h"
#include "control/controlnet.h"
#include "control/t2i_adapter.h"
#include "weights/state_dict.h"

namespace sdxl {

enum class ControlKind { ControlNet, ControlLora, T2IAdapter, Union, LLLite, SD1ControlNet };
inline constexpr std::array<EnumName<ControlKind>, 6> kControlKindNames{{
    {ControlKind::ControlNet, "SDXL ControlNet"},
    {ControlKind::ControlLora, "control-LoRA"},
    {ControlKind::T2IAdapter, "T2I-Adapter"},
    {ControlKind::Union, "union ControlNet"},
    {ControlKind::LLLite, "ControlNet-LLLite"},
    {ControlKind::SD1ControlNet, "SD 1.x/2.x ControlNet"}}};
const char* to_string(ControlKind kind);

// What a control model file or folder holds: its kind and, for ControlNets, where the weights are and in which
// naming ("diffusers" or "sgm", with the prefix to strip). Reads headers only. Throws an input sdxl::Error for
// a path that is missing, not safetensors, or holds no control model.
struct ControlModelFile {
  std::string path;          // as given
  std::string weights;       // the safetensors file
  nlohmann::json config;     // a folder's config.json, else null
  ControlKind kind = ControlKind::ControlNet;
  std::string layout;        // "diffusers" | "sgm"
  std::string prefix;        // "control_model." or ""
};
ControlModelFile inspect_control_model(const std::string& path);

// Loads a ControlNet for the base UNet whose config is `base_unet_config` (diffusers JSON): the folder's
// config, else `config_dir`/config.json, else the base's architecture with what the tensors decide. Any
// other kind is an input error naming the kind. The model is built on `options`' device and dtype.
ControlNetModel load_controlnet(const ControlModelFile& file, const std::string& config_dir,
                                const nlohmann::json& base_unet_config, const at::TensorOptions& options);
// Loads a Stability control-LoRA (marker tensor lora_controlnet; SGM names): a ControlNet of the base UNet's
// architecture whose encoder is the base's (`base_unet`: its canonical tensors), every weight the file gives
// NAME.up / NAME.down factors for computed as base + up @ down, and the tensors the file holds whole (hint block,
// zero convs, middle_block_out, norms and biases) replacing the base's: what ComfyUI's ControlLora and the web
// UI's ControlNet extension do. Factors that do not fit the base are an input error naming the tensor.
ControlNetModel load_control_lora(const ControlModelFile& file, const nlohmann::json& base_unet_config,
                                  const StateDict& base_unet, const at::TensorOptions& options);
// Loads a T2I-Adapter (full_adapter_xl): a diffusers folder, or a lone file with diffusers names or in the
// original layout (below), whose shape is inferred unless `config_dir` is given.
T2IAdapterModel load_t2i_adapter(const ControlModelFile& file, const std::string& config_dir,
                                 const at::TensorOptions& options);

// The original T2I-Adapter layout (TencentARC's Adapter: conv_in, body.K.block1/block2/in_conv, optionally under
// "adapter."), told apart from diffusers' (adapter.body.LEVEL.resnets.BLOCK) by body.0.block1; and the map from
// each diffusers name to the stored one. Tensors with no place in full_adapter_xl are an input error naming
// them (`path` names the file).
bool is_original_t2i_adapter(const std::vector<std::string>& names);
std::map<std::string, std::string> original_t2i_adapter_names(const std::vector<std::string>& names,
                                                              const std::string& path);

}  // namespace sdxl
