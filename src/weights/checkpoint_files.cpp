#include "weights/checkpoint_files.h"

#include "common/error.h"
#include "common/strings.h"
#include "io/atomic_file.h"

#include <filesystem>
#include <fstream>

namespace sdxl::checkpoint_files {
namespace fs = std::filesystem;

namespace {

// Extensions only PyTorch pickles use. ".bin" is refused by content (pickle or zip header) only.
const char* const kPickleExtensions[] = {".ckpt", ".pt", ".pth", ".pkl", ".pickle"};

// Component weight files diffusers / transformers write, in the order they are preferred.
const char* const kWeightFiles[] = {"diffusion_pytorch_model.safetensors", "model.safetensors",
                                    "diffusion_pytorch_model.fp16.safetensors", "model.fp16.safetensors"};
const char* const kPickleWeightFiles[] = {"diffusion_pytorch_model.bin", "pytorch_model.bin",
                                          "diffusion_pytorch_model.fp16.bin", "pytorch_model.fp16.bin"};

bool looks_like_pickle(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  unsigned char head[4] = {0, 0, 0, 0};
  in.read(reinterpret_cast<char*>(head), 4);
  if (in.gcount() < 2) return false;
  const bool pickle = head[0] == 0x80 && head[1] >= 2 && head[1] <= 5;  // PROTO opcode
  const bool zip = in.gcount() == 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4;
  return pickle || zip;
}

}  // namespace

bool is_dir(const std::string& path) {
  std::error_code ec;
  return fs::is_directory(path, ec);
}

bool is_file(const std::string& path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec);
}

std::string join(const std::string& dir, const std::string& name) { return (fs::path(dir) / name).string(); }

void refuse_pickle(const std::string& path) {
  const std::string ext = ascii_lower(fs::path(path).extension().string());
  bool pickle_ext = false;
  for (const char* e : kPickleExtensions) pickle_ext = pickle_ext || ext == e;
  if (!pickle_ext && !looks_like_pickle(path)) return;
  throw Error(ErrorCategory::Input, "", path + ": is a PyTorch pickle checkpoint; loading a pickle can execute arbitrary code, so sdxl-gen "
              "reads only .safetensors. Convert it once in a trusted Python environment: "
              "python -c \"import torch; from safetensors.torch import save_file; "
              "sd = torch.load('" + path + "', map_location='cpu', weights_only=True); "
              "sd = sd.get('state_dict', sd); "
              "save_file({k: v.contiguous() for k, v in sd.items()}, 'converted.safetensors')\"");
}

std::shared_ptr<io::SafetensorsFile> open_weights(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw Error(ErrorCategory::Input, "", path + ": no such file");
  if (fs::is_directory(path, ec)) throw Error(ErrorCategory::Input, "", path + ": is a folder, expected a .safetensors file");
  refuse_pickle(path);
  try {
    return io::SafetensorsFile::open(path);
  } catch (const Error& e) {
    if (fs::path(path).extension() == ".safetensors") throw;
    // Likely not a weights file at all (a config.json, an image, ...): say what was expected.
    throw Error(ErrorCategory::Input, "", std::string(e.what()) + " (expected a .safetensors file, a diffusers folder or a component folder)");
  }
}

std::string find_weights_file(const std::string& folder) {
  for (const char* name : kWeightFiles) {
    const std::string p = join(folder, name);
    if (is_file(p)) return p;
  }
  for (const char* name : kPickleWeightFiles) {
    const std::string p = join(folder, name);
    if (is_file(p)) refuse_pickle(p);
  }
  throw Error(ErrorCategory::Input, "", folder + ": no weights file (expected diffusion_pytorch_model.safetensors or model.safetensors)");
}

nlohmann::json read_json(const std::string& path) {
  const std::string text = io::read_file(path);
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw Error(ErrorCategory::Input, "", path + ": not valid JSON");
  return j;
}

nlohmann::json read_json_if_present(const std::string& dir, const std::string& rel) {
  if (dir.empty()) return nullptr;
  const std::string p = join(dir, rel);
  return is_file(p) ? read_json(p) : nlohmann::json(nullptr);
}

}  // namespace sdxl::checkpoint_files
