// Where an image encoder's weights come from, read without loading them: a transformers folder
// (config.json + model.safetensors, as the IP-Adapter repositories ship `image_encoder/`), or one
// .safetensors file in the ComfyUI layout (transformers names, no config: `clip_vision_g.safetensors`) or
// the open_clip layout (`visual.*` names), mapped by name onto the transformers names.
#pragma once
#include <memory>
#include <string>

#include "io/safetensors.h"
#include "vision/clip_vision_config.h"
#include "weights/state_dict.h"

namespace sdxl {

enum class ImageEncoderLayout { TransformersFolder, TransformersFile, OpenClipFile };

struct ImageEncoderFile {
  std::string path;
  ImageEncoderLayout layout = ImageEncoderLayout::TransformersFolder;
  CLIPVisionConfig config;
  std::shared_ptr<io::SafetensorsFile> file;
  // The tensors under transformers names (memory-mapped views; open_clip's fused in_proj split into q/k/v).
  StateDict tensors() const;
};

// Reads the config (or infers it from the tensor shapes) and checks the layout. Throws an input sdxl::Error
// naming the path for a missing folder/file, a folder without config.json or model.safetensors, or a file
// that holds no CLIP vision tower.
ImageEncoderFile open_image_encoder(const std::string& path);

// Whether `path` holds an image encoder's files (a folder with config.json, or a .safetensors file), without
// reading them: the adapter's encoder lookup tries several places.
bool looks_like_image_encoder(const std::string& path);

}  // namespace sdxl
