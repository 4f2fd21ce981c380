#include "adapters/ip_adapter_file.h"

#include <algorithm>
#include <cctype>
#include <map>

#include "common/error.h"

namespace sdxl {
namespace {

constexpr const char* kProj = "image_proj.";
constexpr const char* kLayers = "ip_adapter.";

[[noreturn]] void fail(const std::string& path, const std::string& message) {
  throw input_error("ip_adapter", path + ": " + message);
}

std::vector<int64_t> shape_of(const io::SafetensorsFile& f, const std::string& name, size_t rank,
                              const std::string& path) {
  const io::TensorInfo* t = f.find(name);
  if (!t) fail(path, "no tensor '" + name + "'");
  if (t->shape.size() != rank)
    fail(path, "'" + name + "' is " + shape_str(t->shape) + ", expected " + std::to_string(rank) + " dimensions");
  return t->shape;
}

}  // namespace

IpAdapterFile read_ip_adapter(const std::string& path) {
  IpAdapterFile a;
  a.path = path;
  try {
    a.file = io::SafetensorsFile::open(path);
  } catch (const Error& e) {
    throw input_error("ip_adapter", e.what());
  }
  const io::SafetensorsFile& f = *a.file;
  std::map<int, bool> ids;  // id -> has both k and v
  bool any_proj = false;
  for (const auto& t : f.tensors()) {
    if (t.name.rfind(kProj, 0) == 0) {
      any_proj = true;
    } else if (t.name.rfind(kLayers, 0) == 0) {
      const std::string rest = t.name.substr(std::string(kLayers).size());
      const size_t dot = rest.find('.');
      const std::string id = rest.substr(0, dot), what = dot == std::string::npos ? "" : rest.substr(dot + 1);
      if (id.empty() || id.size() > 6 || !std::all_of(id.begin(), id.end(), ::isdigit) ||
          (what != "to_k_ip.weight" && what != "to_v_ip.weight"))
        fail(path, "unexpected tensor '" + t.name + "' (an IP-Adapter has ip_adapter.N.to_k_ip/to_v_ip.weight)");
      ids[std::stoi(id)] = true;
    } else {
      fail(path, "unexpected tensor '" + t.name + "': not an IP-Adapter file (image_proj.* and ip_adapter.N.* only)");
    }
  }
  if (!any_proj || ids.empty()) fail(path, "not an IP-Adapter file (needs image_proj.* and ip_adapter.N.* tensors)");

  if (f.contains("image_proj.proj.weight")) {
    // ImageProjection: proj [tokens * cross, embed] + norm [cross].
    a.kind = IpAdapterKind::Base;
    const auto proj = shape_of(f, "image_proj.proj.weight", 2, path);
    a.image_embed_dim = proj[1];
    a.cross_attention_dim = shape_of(f, "image_proj.norm.weight", 1, path)[0];
    if (a.cross_attention_dim <= 0 || proj[0] % a.cross_attention_dim != 0)
      fail(path, "image_proj.proj.weight " + shape_str(proj) + " is not a whole number of tokens of width " +
                     std::to_string(a.cross_attention_dim));
    a.tokens = proj[0] / a.cross_attention_dim;
  } else if (f.contains("image_proj.latents")) {
    a.kind = IpAdapterKind::Plus;
    const auto latents = shape_of(f, "image_proj.latents", 3, path);
    a.tokens = latents[1];
    a.image_embed_dim = shape_of(f, "image_proj.proj_in.weight", 2, path)[1];
    a.cross_attention_dim = shape_of(f, "image_proj.proj_out.weight", 2, path)[0];
  } else if (f.contains("image_proj.proj.0.weight") || f.contains("image_proj.proj.3.weight")) {
    fail(path, "IP-Adapter Full (image_proj.proj.0/3: an MLP on the hidden states) is not supported; "
               "base and Plus adapters are");
  } else {
    fail(path, "unknown image projection (neither image_proj.proj.weight nor image_proj.latents; "
               "FaceID adapters are not supported)");
  }

  for (const auto& [id, _] : ids) {
    const std::string k = kLayers + std::to_string(id) + ".to_k_ip.weight", v = kLayers + std::to_string(id) + ".to_v_ip.weight";
    const auto ks = shape_of(f, k, 2, path), vs = shape_of(f, v, 2, path);
    if (ks != vs) fail(path, "'" + k + "' " + shape_str(ks) + " and '" + v + "' " + shape_str(vs) + " differ");
    if (ks[1] != a.cross_attention_dim)
      fail(path, "'" + k + "' takes tokens of width " + std::to_string(ks[1]) + ", its image projection makes " +
                     std::to_string(a.cross_attention_dim));
    a.layer_ids.push_back(id);
    a.layer_widths.push_back(ks[0]);
  }
  return a;
}

StateDict IpAdapterFile::image_proj() const {
  StateDict out;
  for (const auto& t : file->tensors())
    if (t.name.rfind(kProj, 0) == 0) out[t.name.substr(std::string(kProj).size())] = file->tensor(t.name);
  return out;
}

at::Tensor IpAdapterFile::to_k_ip(size_t layer) const {
  return file->tensor(kLayers + std::to_string(layer_ids.at(layer)) + ".to_k_ip.weight");
}
at::Tensor IpAdapterFile::to_v_ip(size_t layer) const {
  return file->tensor(kLayers + std::to_string(layer_ids.at(layer)) + ".to_v_ip.weight");
}

}  // namespace sdxl
