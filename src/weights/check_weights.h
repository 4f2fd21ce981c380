// `sdxl-gen check-weights`: validates a checkpoint against the architecture its config describes, from
// the safetensors headers alone (no tensor data is read, so a 7 GB file is checked instantly).
#pragma once
#include "weights/checkpoint.h"
#include "weights/state_dict.h"

#include <cstdint>
#include <string>
#include <vector>

namespace sdxl {

struct ComponentCheck {
  std::string component;      // unet, vae, text_encoder, text_encoder_2
  std::string source;         // file holding its tensors
  std::string config_source;  // config.json path or "inferred from tensor shapes"
  size_t tensors = 0;         // canonical tensors found
  int64_t parameters = 0;     // their elements (correctly shaped ones)
  int64_t expected_parameters = 0;
  std::vector<std::string> dtypes;
  LoadReport report;          // missing / unexpected / mis-shaped, canonical name (file key)
};

struct CheckReport {
  std::string path;
  std::string layout;  // "" when the file could not be read at all
  ModelKind kind = ModelKind::Base;
  std::vector<ComponentCheck> components;
  std::vector<std::string> ignored;   // known-unused tensors that were skipped
  std::vector<std::string> problems;  // one line each; empty iff ok
  std::vector<std::string> notes;     // checks that passed beyond the header (an official file's sha256)
  bool ok = false;
};

// Never throws for a bad checkpoint: unreadable files (invalid header, pickle, missing path) become problems.
CheckReport check_weights(const std::string& path, const std::string& config_dir = "");

// Human-readable report for the CLI: one line per component, then problems, then OK / FAILED.
std::string format_check_report(const CheckReport& report);

}  // namespace sdxl
