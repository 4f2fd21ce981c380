// A short content hash of a checkpoint, recorded in PNG metadata beside the model path (as the web UIs
// record "Model hash"), so a re-run notices a renamed, moved or replaced checkpoint. Cheap on 7 GB files:
// it reads the size and the first and last MiB (a safetensors file starts with its tensor index and ends
// with tensor data), not the whole file.
#pragma once
#include <string>

namespace sdxl {

// 8 hex digits (CRC-32). A single file hashes its size and first and last MiB; a diffusers folder hashes
// its model_index.json and the files of its unet/ folder. Throws sdxl::Error when nothing can be read.
std::string model_hash(const std::string& path);

}  // namespace sdxl
