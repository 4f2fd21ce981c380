// Header-level view of a checkpoint, shared by open_checkpoint (which then maps the tensors) and
// check_weights (which only reports): the layout, each component's config and, for every canonical
// tensor the config implies, where the file stores it. Building a plan never reads tensor data.
#pragma once
#include "io/safetensors.h"
#include "weights/architecture.h"
#include "weights/checkpoint.h"
#include "weights/original_names.h"
#include "weights/state_dict.h"

#include <memory>
#include <string>
#include <vector>

namespace sdxl {

struct TensorSource {
  std::string key;     // full name in the file
  OriginalName form;   // how the file stores the canonical tensor
};

struct ComponentPlan {
  std::string name;  // unet, vae, text_encoder, text_encoder_2
  nlohmann::json config;
  std::string config_source;
  std::shared_ptr<io::SafetensorsFile> file;
  std::map<std::string, TensorSource> sources;  // canonical name -> stored tensor (only those found)
  LoadReport report;                            // missing / unexpected / mis-shaped, with the file's key names
  std::vector<std::string> bad_dtypes;          // "key: I64" for non-float weights
  int64_t parameters = 0;                       // elements of the canonical tensors found
  std::vector<std::string> dtypes;              // dtypes of those tensors
  bool ok() const { return report.ok() && bad_dtypes.empty(); }
};

struct CheckpointPlan {
  std::string path, layout;
  ModelKind kind = ModelKind::Base;
  bool force_zeros_for_empty_prompt = true;
  std::vector<ComponentPlan> components;   // in kComponents order
  std::vector<std::string> ignored;        // known-unused tensors that were skipped (full keys)
  std::vector<std::string> unassigned;     // tensors belonging to no component (single file)
  std::string tokenizer_dir, tokenizer_2_dir;
  nlohmann::json scheduler_config;
  // Every problem as one line ("unet: missing down_blocks.0... (model.diffusion_model.input_blocks...)").
  std::vector<std::string> problems() const;
};

// Throws sdxl::Error when the path cannot be read as a checkpoint at all (missing file, pickle, invalid
// safetensors header, unknown layout, config that cannot be inferred); tensor-level mismatches are
// collected in the plan instead.
CheckpointPlan plan_checkpoint(const std::string& path, const std::string& config_dir);

}  // namespace sdxl
