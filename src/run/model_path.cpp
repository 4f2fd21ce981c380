#include "run/model_path.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vector>

#include "common/error.h"
#include "io/paths.h"
#include "weights/check_weights.h"

namespace sdxl {
namespace {

using io::is_dir;
using io::is_file;

std::string exe_dir() {
  const std::string dir = io::executable_dir();
  return dir.empty() ? "." : dir;
}

// Candidate checkpoints in a weights folder: *.safetensors files and diffusers folders.
std::vector<std::string> candidates(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = opendir(dir.c_str());
  if (!d) return out;
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name.empty() || name[0] == '.') continue;
    std::string p = dir + "/" + name;
    if ((name.size() > 12 && name.compare(name.size() - 12, 12, ".safetensors") == 0 && is_file(p)) ||
        (is_dir(p) && is_file(p + "/model_index.json")))
      out.push_back(p);
  }
  closedir(d);
  return out;
}

const char* kDownloadHint =
    "download sd_xl_base_1.0.safetensors from Hugging Face (stabilityai/stable-diffusion-xl-base-1.0) into "
    "weights/, give a model path, or use 'tiny' (the bundled smoke-test model)";

}  // namespace

// Installed next to the binary (share/sdxl-gen), or in the build tree, where the build materialises the
// fixture folder with its git-symlink placeholders resolved (cmake/materialize_fixtures.cmake).
std::string tiny_model_dir() {
  for (const std::string& p : {exe_dir() + "/../share/sdxl-gen/tiny-sdxl", exe_dir() + "/fixtures/tiny-sdxl"})
    if (is_file(p + "/model_index.json")) return p;
  throw input_error("model", "the bundled tiny model is missing (expected fixtures/tiny-sdxl next to the built sdxl-gen: rebuild)");
}

std::string resolve_model_path(const std::string& model, std::string* config_dir) {
  if (model == "tiny") return tiny_model_dir();
  if (!model.empty()) {
    if (!is_file(model) && !is_dir(model)) throw input_error("model", model + ": no such file or folder");
    return model;
  }
  std::vector<std::string> bases;
  // weights/ in the working folder, else the one beside the build folder (build/sdxl-gen finds the checkout's
  // weights/ from any working folder).
  for (const std::string& dir : {std::string("weights"), exe_dir() + "/../weights"}) {
    for (const auto& c : candidates(dir)) {
      CheckReport report = check_weights(c, *config_dir);  // header only: instant
      if (report.ok && report.kind == ModelKind::Base) bases.push_back(c);
    }
    if (!bases.empty()) break;
  }
  if (bases.size() == 1) return bases[0];
  if (bases.empty()) throw input_error("model", std::string("none given and no SDXL base checkpoint in weights/: ") + kDownloadHint);
  throw input_error("model", "none given and several base checkpoints in weights/ (" + bases[0] + ", " + bases[1] +
                               ", ...): choose one");
}

bool is_tiny_model(const std::string& resolved) {
  return resolved.find("tiny-sdxl") != std::string::npos || resolved.find("tiny_sdxl") != std::string::npos;
}

}  // namespace sdxl
