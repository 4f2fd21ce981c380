#include "vision/image_encoder_file.h"

#include <filesystem>

#include "common/error.h"
#include "io/atomic_file.h"

namespace fs = std::filesystem;

namespace sdxl {
namespace {

constexpr const char* kOpenClipPrefix = "visual.";

// A transformers tensor name for an open_clip VisionTransformer name, or "" for names without one (open_clip's
// fused attention input projection is split separately). The inverse of transformers'
// convert_clip_original_pytorch_to_hf mapping.
std::string from_open_clip(const std::string& name) {
  static const std::vector<std::pair<std::string, std::string>> whole = {
      {"visual.class_embedding", "vision_model.embeddings.class_embedding"},
      {"visual.positional_embedding", "vision_model.embeddings.position_embedding.weight"},
      {"visual.conv1.weight", "vision_model.embeddings.patch_embedding.weight"},
      {"visual.ln_pre.weight", "vision_model.pre_layrnorm.weight"},
      {"visual.ln_pre.bias", "vision_model.pre_layrnorm.bias"},
      {"visual.ln_post.weight", "vision_model.post_layernorm.weight"},
      {"visual.ln_post.bias", "vision_model.post_layernorm.bias"}};
  for (const auto& [from, to] : whole)
    if (name == from) return to;
  const std::string blocks = "visual.transformer.resblocks.";
  if (name.rfind(blocks, 0) != 0) return "";
  const size_t dot = name.find('.', blocks.size());
  if (dot == std::string::npos) return "";
  const std::string layer = "vision_model.encoder.layers." + name.substr(blocks.size(), dot - blocks.size()) + ".";
  const std::string rest = name.substr(dot + 1);
  static const std::vector<std::pair<std::string, std::string>> parts = {
      {"ln_1.", "layer_norm1."}, {"ln_2.", "layer_norm2."}, {"mlp.c_fc.", "mlp.fc1."}, {"mlp.c_proj.", "mlp.fc2."},
      {"attn.out_proj.", "self_attn.out_proj."}};
  for (const auto& [from, to] : parts)
    if (rest.rfind(from, 0) == 0) return layer + to + rest.substr(from.size());
  return "";
}

bool is_transformers_vision_name(const std::string& name) {
  return name.rfind("vision_model.", 0) == 0 || name == "visual_projection.weight";
}

}  // namespace

bool looks_like_image_encoder(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) return fs::is_regular_file(fs::path(path) / "config.json", ec);
  return fs::is_regular_file(path, ec) && fs::path(path).extension() == ".safetensors";
}

ImageEncoderFile open_image_encoder(const std::string& path) {
  ImageEncoderFile e;
  e.path = path;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    const fs::path config = fs::path(path) / "config.json", weights = fs::path(path) / "model.safetensors";
    if (!fs::is_regular_file(config, ec))
      throw input_error("image_encoder", path + ": no config.json (expected a transformers CLIPVisionModelWithProjection folder)");
    if (!fs::is_regular_file(weights, ec))
      throw input_error("image_encoder", path + ": no model.safetensors (only safetensors weights are read)");
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(io::read_file(config.string()));
    } catch (const nlohmann::json::exception& x) {
      throw input_error("image_encoder", config.string() + ": not valid JSON (" + x.what() + ")");
    }
    e.config = CLIPVisionConfig::from_json(j, config.string());
    e.file = io::SafetensorsFile::open(weights.string());
    e.layout = ImageEncoderLayout::TransformersFolder;
    return e;
  }
  if (!fs::is_regular_file(path, ec)) throw input_error("image_encoder", path + ": no such file or folder");
  e.file = io::SafetensorsFile::open(path);
  std::map<std::string, std::vector<int64_t>> shapes;
  bool open_clip = false;
  for (const auto& t : e.file->tensors()) {
    if (is_transformers_vision_name(t.name)) shapes[t.name] = t.shape;
    open_clip |= t.name.rfind(kOpenClipPrefix, 0) == 0;
  }
  if (shapes.empty() && open_clip) {
    e.layout = ImageEncoderLayout::OpenClipFile;
    for (const auto& t : e.file->tensors()) {
      const std::string to = from_open_clip(t.name);
      if (!to.empty()) shapes[to] = t.shape;
      if (t.name == "visual.proj" && t.shape.size() == 2) shapes["visual_projection.weight"] = {t.shape[1], t.shape[0]};
    }
  } else {
    e.layout = ImageEncoderLayout::TransformersFile;
  }
  if (shapes.empty())
    throw input_error("image_encoder", path + ": holds no CLIP vision tower (neither vision_model.* nor visual.* tensors)");
  e.config = CLIPVisionConfig::from_shapes(shapes, path);
  return e;
}

StateDict ImageEncoderFile::tensors() const {
  StateDict out;
  for (const auto& t : file->tensors()) {
    if (layout != ImageEncoderLayout::OpenClipFile) {
      if (is_transformers_vision_name(t.name)) out[t.name] = file->tensor(t.name);
      continue;
    }
    if (t.name.rfind(kOpenClipPrefix, 0) != 0) continue;  // a whole CLIP file: the text tower is not ours
    const std::string to = from_open_clip(t.name);
    if (!to.empty()) {
      out[to] = file->tensor(t.name);
    } else if (t.name == "visual.proj") {
      out["visual_projection.weight"] = file->tensor(t.name).t();  // open_clip multiplies x @ proj
    } else {
      const std::string suffix_w = ".attn.in_proj_weight", suffix_b = ".attn.in_proj_bias";
      auto ends = [&](const std::string& s) {
        return t.name.size() > s.size() && t.name.compare(t.name.size() - s.size(), s.size(), s) == 0;
      };
      if (ends(suffix_w) || ends(suffix_b)) {
        const bool weight = ends(suffix_w);
        const std::string block = t.name.substr(0, t.name.size() - (weight ? suffix_w : suffix_b).size());
        const std::string layer = "vision_model.encoder.layers." + block.substr(std::string("visual.transformer.resblocks.").size());
        const auto qkv = file->tensor(t.name).chunk(3, 0);
        const char* names[] = {"q_proj", "k_proj", "v_proj"};
        for (int i = 0; i < 3; ++i) out[layer + ".self_attn." + names[i] + (weight ? ".weight" : ".bias")] = qkv[i];
      } else {
        out[t.name] = file->tensor(t.name);  // left for the strict loader to report as unexpected
      }
    }
  }
  return out;
}

}  // namespace sdxl
