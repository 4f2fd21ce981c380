// The .safetensors files under a folder, as the web UIs list their LoRA and embedding folders.
#pragma once
#include <filesystem>
#include <vector>

namespace sdxl {

// Every regular *.safetensors file (extension in any case) under `dir`, recursively, following folder links,
// sorted by path. Unreadable subfolders are skipped.
std::vector<std::filesystem::path> safetensors_files_under(const std::filesystem::path& dir);

}  // namespace sdxl
