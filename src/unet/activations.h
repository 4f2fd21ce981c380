// Optional capture of intermediate UNet outputs, keyed by diffusers module path ("down_blocks.1.attentions.0"),
// so a golden test can name the first block that diverges. Nothing is recorded when the sink is null.
#pragma once
#include <ATen/ATen.h>

#include <map>
#include <string>

namespace sdxl {

using Activations = std::map<std::string, at::Tensor>;

// Stores a copy (later in-place ops must not change what was recorded).
inline void record(Activations* sink, const std::string& name, const at::Tensor& value) {
  if (sink) (*sink)[name] = value.detach().clone();
}

}  // namespace sdxl
