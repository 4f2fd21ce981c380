// An adapter file matched against one model: each module paired with the weight it changes.
#pragma once
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "adapters/adapter_file.h"
#include "adapters/target_names.h"
#include "io/sha256.h"

namespace sdxl {

struct ResolvedAdapter {
  std::string path;
  std::vector<std::pair<AdapterModule, AdapterTarget>> matched;
  std::vector<std::string> skipped;         // module keys that name no weight, then unknown tensors
  std::map<std::string, int> per_component;  // short name (unet, te1, te2) -> matched modules
  size_t modules = 0;                        // modules in the file (matched + unmatched)
  io::FileHashes hashes;                     // whole file, and data section (the web UI's LoRA hash)
};

// Throws sdxl::Error (an input error) naming the file and the first offending module when no module names a
// weight of this model (e.g. an SD 1.5 LoRA on SDXL) or a module's factors do not fit its weight's shape.
ResolvedAdapter resolve_adapter(const AdapterFile& file, const TargetNames& names);

// "lora detail.safetensors ×0.8: 722/722 tensors (unet 700, te1 12, te2 10)" (file name without folders;
// a partly matched file adds "; N skipped").
std::string report_line(const ResolvedAdapter& adapter, double multiplier);

}  // namespace sdxl
