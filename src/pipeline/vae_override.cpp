#include "pipeline/vae_override.h"

#include <filesystem>

#include "common/config_reader.h"
#include "common/error.h"
#include "common/strings.h"
#include "io/safetensors.h"
#include "weights/checkpoint_files.h"

namespace sdxl {
namespace {

namespace files = checkpoint_files;

StateDict all_tensors(const io::SafetensorsFile& file) {
  StateDict out;
  for (const auto& t : file.tensors()) out[t.name] = file.tensor(t.name);
  return out;
}

bool any_name_starts(const io::SafetensorsFile& file, std::initializer_list<const char*> prefixes) {
  for (const auto& t : file.tensors())
    for (const char* p : prefixes)
      if (starts_with(t.name, p)) return true;
  return false;
}

// madebyollin's files are bare nn.Sequential state dicts: every name starts with a digit.
bool is_taesd_file(const io::SafetensorsFile& file) {
  if (file.tensors().empty()) return false;
  for (const auto& t : file.tensors())
    if (t.name.empty() || t.name[0] < '0' || t.name[0] > '9') return false;
  return true;
}

// taesdxl_decoder.safetensors <-> taesdxl_encoder.safetensors (the last "decoder"/"encoder" in the file name).
std::string sibling(const std::string& path, const std::string& from, const std::string& to) {
  namespace fs = std::filesystem;
  const fs::path p(path);
  std::string name = p.filename().string();
  const size_t at = name.rfind(from);
  if (at == std::string::npos) return "";
  name.replace(at, from.size(), to);
  const std::string other = (p.parent_path() / name).string();
  return files::is_file(other) ? other : "";
}

void set_tiny(VaeOverride& v, StateDict tensors, const std::string& what, const nlohmann::json* config) {
  v.kind = VaeKind::AutoencoderTiny;
  v.tiny = std::move(tensors);
  v.tiny_config = config ? TinyAutoencoderConfig::from_json(*config, what) : TinyAutoencoderConfig::infer(v.tiny, what);
  for (const auto& [name, t] : v.tiny) v.tiny_has_encoder = v.tiny_has_encoder || starts_with(name, "encoder.");
  v.force_upcast = false;  // convolutions and ReLUs only: fp16 is safe
}

}  // namespace

const char* to_string(VaeKind kind) { return kind == VaeKind::AutoencoderTiny ? "AutoencoderTiny" : "AutoencoderKL"; }

VaeOverride open_vae_override(const std::string& path) {
  VaeOverride v;
  v.path = path;
  const std::string what = path;
  if (files::is_dir(path)) {
    const std::string config_path = files::join(path, "config.json");
    if (files::is_file(config_path)) {
      const nlohmann::json config = files::read_json(config_path);
      if (config.is_object() && config::Reader(config, config_path).string("_class_name", "") == "AutoencoderTiny") {
        auto file = files::open_weights(files::find_weights_file(path));
        set_tiny(v, all_tensors(*file), what, &config);
        return v;
      }
    }
  } else {
    auto file = files::open_weights(path);
    if (any_name_starts(*file, {"encoder.layers.", "decoder.layers."})) {
      set_tiny(v, all_tensors(*file), what, nullptr);
      return v;
    }
    if (is_taesd_file(*file)) {
      StateDict tensors = taesd_to_diffusers(all_tensors(*file), what);
      const bool decoder = tensors.begin()->first.rfind("decoder.", 0) == 0;
      const std::string other = decoder ? sibling(path, "decoder", "encoder") : sibling(path, "encoder", "decoder");
      if (!decoder && other.empty())
        throw Error(ErrorCategory::Input, "", what + ": a TAESD encoder alone cannot decode; give the decoder file (taesdxl_decoder.safetensors)");
      if (!other.empty())
        for (auto& [name, t] : taesd_to_diffusers(all_tensors(*files::open_weights(other)), other))
          tensors[name] = t;
      set_tiny(v, std::move(tensors), what, nullptr);
      return v;
    }
  }
  // AutoencoderKL: any layout the checkpoint loader knows; only its VAE is used.
  Checkpoint ckpt = open_checkpoint(path);
  auto it = ckpt.components.find("vae");
  if (it == ckpt.components.end()) throw Error(ErrorCategory::Input, "", what + ": holds no VAE (no AutoencoderKL or AutoencoderTiny tensors)");
  v.kl = std::move(it->second);
  v.force_upcast = v.kl.config.is_object() ? config::Reader(v.kl.config, v.kl.config_source).boolean("force_upcast", true) : true;
  return v;
}

SwappedVae load_vae_override(const VaeOverride& v, const Placement& p) {
  SwappedVae out;
  const auto options = at::TensorOptions().device(p.device).dtype(p.vae_dtype);
  if (v.kind == VaeKind::AutoencoderTiny) {
    out.tiny = AutoencoderTiny(v.tiny_config, options, v.tiny_has_encoder);
    load_state_dict(*out.tiny, v.tiny, "tiny autoencoder from " + v.path);
    out.tiny->eval();
  } else {
    out.kl = AutoencoderKL(VaeConfig::from_json(v.kl.config, v.kl.config_source), options);
    load_state_dict(*out.kl, v.kl.tensors, "vae from " + v.path);
    out.kl->eval();
  }
  return out;
}

}  // namespace sdxl
