#include "control/control_model.h"

#include "common/error.h"
#include "common/strings.h"
#include "weights/checkpoint_files.h"
#include "weights/original_names.h"
#include "weights/state_dict.h"

#include <functional>
#include <set>

namespace sdxl {
namespace {

namespace files = checkpoint_files;
using ShapeMap = std::map<std::string, std::vector<int64_t>>;

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

std::vector<std::string> split_dots(const std::string& s) {
  std::vector<std::string> out(1);
  for (char ch : s) {
    if (ch == '.') out.emplace_back();
    else out.back() += ch;
  }
  return out;
}

// Kind from tensor names (the web UI's ControlNet extension and ComfyUI tell them apart the same way).
ControlKind kind_of(const std::vector<std::string>& names, const std::string& prefix, bool* sgm) {
  std::set<std::string> set(names.begin(), names.end());
  auto has = [&](const std::string& n) { return set.count(prefix + n) != 0; };
  for (const auto& n : names) {
    if (n == "lora_controlnet" || contains(n, "lora_controlnet")) return ControlKind::ControlLora;
    if (starts_with(n, "lllite_") || contains(n, ".lllite_")) return ControlKind::LLLite;
    if (contains(n, "task_embedding") || contains(n, "spatial_ch_projs") || contains(n, "control_add_embedding"))
      return ControlKind::Union;
    if (starts_with(n, "adapter.") || starts_with(n, "body.0.")) return ControlKind::T2IAdapter;
  }
  if (has("controlnet_cond_embedding.conv_in.weight")) {
    *sgm = false;
    return has("add_embedding.linear_1.weight") ? ControlKind::ControlNet : ControlKind::SD1ControlNet;
  }
  if (has("input_hint_block.0.weight")) {
    *sgm = true;
    return has("label_emb.0.0.weight") ? ControlKind::ControlNet : ControlKind::SD1ControlNet;
  }
  throw input_error("", "not a control model: no ControlNet (controlnet_cond_embedding / input_hint_block), control-LoRA, "
              "T2I-Adapter, union or LLLite tensors");
}

// Where the tensors that decide the architecture live, in either naming.
struct Naming {
  std::function<std::string(size_t level, int64_t layer)> down_attention, down_resnet_conv1;
  std::string mid_attention, conv_in, add_linear_1;
  std::function<std::string(size_t k)> hint;  // conditioning embedding conv k (0 = conv_in, then blocks in order)
};

Naming diffusers_naming() {
  Naming n;
  n.down_attention = [](size_t i, int64_t j) { return "down_blocks." + std::to_string(i) + ".attentions." + std::to_string(j) + "."; };
  n.down_resnet_conv1 = [](size_t i, int64_t j) {
    return "down_blocks." + std::to_string(i) + ".resnets." + std::to_string(j) + ".conv1.weight";
  };
  n.mid_attention = "mid_block.attentions.0.";
  n.conv_in = "conv_in.weight";
  n.add_linear_1 = "add_embedding.linear_1.weight";
  n.hint = [](size_t k) {
    return k == 0 ? std::string("controlnet_cond_embedding.conv_in.weight")
                  : "controlnet_cond_embedding.blocks." + std::to_string(k - 1) + ".weight";
  };
  return n;
}

// cldm numbers input_blocks as SGM's UNet: 0 = conv_in, then per level `layers` resnet(+attention) slots and
// a downsampler slot; input_hint_block interleaves SiLUs (convs at even indices).
Naming sgm_naming(int64_t layers) {
  Naming n;
  auto block = [layers](size_t i, int64_t j) { return std::to_string(1 + static_cast<int64_t>(i) * (layers + 1) + j); };
  n.down_attention = [block](size_t i, int64_t j) { return "input_blocks." + block(i, j) + ".1."; };
  n.down_resnet_conv1 = [block](size_t i, int64_t j) { return "input_blocks." + block(i, j) + ".0.in_layers.2.weight"; };
  n.mid_attention = "middle_block.1.";
  n.conv_in = "input_blocks.0.0.weight";
  n.add_linear_1 = "label_emb.0.0.weight";
  n.hint = [](size_t k) { return "input_hint_block." + std::to_string(2 * k) + ".weight"; };
  return n;
}

// Distinct N in "<prefix>transformer_blocks.N." names.
int64_t transformer_depth(const ShapeMap& shapes, const std::string& prefix) {
  std::set<std::string> seen;
  const std::string p = prefix + "transformer_blocks.";
  for (auto it = shapes.lower_bound(p); it != shapes.end() && starts_with(it->first, p); ++it)
    seen.insert(it->first.substr(p.size(), it->first.find('.', p.size()) - p.size()));
  return static_cast<int64_t>(seen.size());
}

const std::vector<int64_t>& shape_of(const ShapeMap& shapes, const std::string& name, const std::string& what) {
  auto it = shapes.find(name);
  if (it == shapes.end()) throw input_error("", what + ": cannot detect the ControlNet's architecture: no tensor '" + name + "'");
  return it->second;
}

// The base UNet's architecture with what the tensors decide: widths, transformer depth per level (the
// "mid"/"small" community variants have fewer layers), conditioning-embedding widths, input channels.
nlohmann::json infer_config(const ShapeMap& shapes, const Naming& n, const nlohmann::json& base, const std::string& what) {
  nlohmann::json c = base;
  c["_class_name"] = "ControlNetModel";
  const UNetConfig b = UNetConfig::from_json(base, what + ": base unet config");
  const size_t levels = b.levels();
  nlohmann::json types = nlohmann::json::array(), depth = nlohmann::json::array(), widths = nlohmann::json::array(),
                 heads = nlohmann::json::array();
  for (size_t i = 0; i < levels; ++i) {
    const int64_t d = transformer_depth(shapes, n.down_attention(i, 0));
    types.push_back(d > 0 ? "CrossAttnDownBlock2D" : "DownBlock2D");
    const int64_t width = shape_of(shapes, n.down_resnet_conv1(i, 0), what)[0];
    widths.push_back(width);
    // Heads are not in the shapes: the base's where the width is the base's, else SDXL's head width 64.
    heads.push_back(width == b.block_out_channels[i] ? b.num_attention_heads[i] : std::max<int64_t>(1, width / 64));
    depth.push_back(i + 1 == levels ? std::max<int64_t>(1, transformer_depth(shapes, n.mid_attention)) : std::max<int64_t>(1, d));
  }
  c["down_block_types"] = types;
  c["transformer_layers_per_block"] = depth;
  c["block_out_channels"] = widths;
  c["attention_head_dim"] = heads;
  c["in_channels"] = shape_of(shapes, n.conv_in, what)[1];
  c["projection_class_embeddings_input_dim"] = shape_of(shapes, n.add_linear_1, what)[1];
  nlohmann::json hint = nlohmann::json::array();
  for (size_t k = 0; shapes.count(n.hint(k)); k += 2) hint.push_back(shapes.at(n.hint(k))[0]);
  c["conditioning_channels"] = shape_of(shapes, n.hint(0), what)[1];
  c["conditioning_embedding_out_channels"] = hint;
  for (const char* key : {"up_block_types", "out_channels", "conv_out_kernel", "sample_size", "center_input_sample"})
    c.erase(key);
  return c;
}

// The cldm name of a ControlNet parameter: the UNet's SGM tables for the encoder, cldm's own for the rest.
std::string sgm_name(const std::string& canonical, const OriginalNames& unet_names, size_t hint_convs) {
  const auto parts = split_dots(canonical);
  if (starts_with(canonical, "controlnet_cond_embedding.")) {
    const std::string leaf = parts.back();
    if (parts[1] == "conv_in") return "input_hint_block.0." + leaf;
    if (parts[1] == "conv_out") return "input_hint_block." + std::to_string(2 * (hint_convs + 1)) + "." + leaf;
    return "input_hint_block." + std::to_string(2 + 2 * std::stoll(parts[2])) + "." + leaf;
  }
  if (starts_with(canonical, "controlnet_down_blocks.")) return "zero_convs." + parts[1] + ".0." + parts.back();
  if (starts_with(canonical, "controlnet_mid_block.")) return "middle_block_out.0." + parts.back();
  return unet_names.of(canonical).name;
}

// The folder's config.json, else `config_dir`/config.json, else null (then inferred); `from` says which.
nlohmann::json given_config(const ControlModelFile& f, const std::string& config_dir, std::string* from) {
  *from = f.path + "/config.json";
  if (!f.config.is_null() || config_dir.empty()) return f.config;
  *from = files::join(config_dir, "config.json");
  return files::read_json(*from);
}

// The original T2I-Adapter layout (TencentARC's Adapter class, sk=True; what ComfyUI's load_t2i_adapter reads
// and diffusers' convert_original_t2i_adapter.py converts): conv_in, and one flat list body.K of resnet blocks,
// num_res_blocks per level, K = level * num_res_blocks + block; each level's first block holds the 1x1 in_conv
// where the width changes. Optionally under "adapter.". diffusers nests them as adapter.body.LEVEL.resnets.BLOCK.
std::string original_t2i_prefix(const std::vector<std::string>& names) {
  for (const auto& n : names)
    if (n == "adapter.conv_in.weight") return "adapter.";
  return "";
}

}  // namespace

bool is_original_t2i_adapter(const std::vector<std::string>& names) {
  const std::string p = original_t2i_prefix(names);
  for (const auto& n : names)
    if (n == p + "body.0.block1.weight") return true;
  return false;
}

std::map<std::string, std::string> original_t2i_adapter_names(const std::vector<std::string>& names,
                                                              const std::string& path) {
  const std::string p = original_t2i_prefix(names);
  std::set<int64_t> blocks;
  for (const auto& n : names) {
    if (!starts_with(n, p + "body.")) continue;
    const auto parts = split_dots(n.substr(p.size()));
    blocks.insert(std::stoll(parts.at(1)));
  }
  constexpr int64_t kLevels = 4;  // full_adapter_xl: three UNet levels and the mid block
  const int64_t per_level = static_cast<int64_t>(blocks.size()) / kLevels;
  if (blocks.empty() || static_cast<int64_t>(blocks.size()) % kLevels || *blocks.rbegin() + 1 != kLevels * per_level)
    throw input_error("", path + ": an original-layout T2I-Adapter with " + std::to_string(blocks.size()) +
                " body blocks, not 4 levels of equal depth (the SDXL full adapter's)");
  std::map<std::string, std::string> out;
  for (const auto& n : names) {
    if (n == p + "conv_in.weight" || n == p + "conv_in.bias") {
      out["adapter." + n.substr(p.size())] = n;
      continue;
    }
    const auto parts = split_dots(n.substr(p.size()));
    // body.K.(block1|block2|in_conv).(weight|bias); anything else (skep, down_opt convolutions of the sk=False /
    // use_conv variants, the "light" adapter) has no place in diffusers' full_adapter_xl.
    const bool known = parts.size() == 4 && parts[0] == "body" &&
                       (parts[2] == "block1" || parts[2] == "block2" || parts[2] == "in_conv");
    if (!known)
      throw input_error("", path + ": the tensor '" + n + "' has no place in an SDXL full T2I-Adapter "
                  "(original layout: conv_in, body.K.block1/block2/in_conv)");
    const int64_t k = std::stoll(parts[1]), level = k / per_level, block = k % per_level;
    const std::string at_level = "adapter.body." + std::to_string(level) + ".";
    if (parts[2] == "in_conv") {
      if (block != 0)
        throw input_error("", path + ": '" + n + "': only the first block of a level changes the width (in_conv)");
      out[at_level + "in_conv." + parts[3]] = n;
    } else {
      out[at_level + "resnets." + std::to_string(block) + "." + parts[2] + "." + parts[3]] = n;
    }
  }
  return out;
}

namespace {
}  // namespace

const char* to_string(ControlKind kind) { return enum_name(kControlKindNames, kind); }
static_assert(table_complete(kControlKindNames, ControlKind::SD1ControlNet));

ControlModelFile inspect_control_model(const std::string& path) {
  ControlModelFile f;
  f.path = path;
  try {
    if (files::is_dir(path)) {
      if (!files::is_file(files::join(path, "config.json")))
        throw input_error("", "a control model folder needs a config.json (diffusers ControlNetModel / T2IAdapter)");
      f.config = files::read_json(files::join(path, "config.json"));
      const std::string cls = f.config.value("_class_name", "");
      if (cls == "T2IAdapter") {
        f.kind = ControlKind::T2IAdapter;
        f.weights = files::find_weights_file(path);
        f.layout = "diffusers";
        return f;
      }
      if (cls != "ControlNetModel")
        throw input_error("", "config.json's _class_name is \"" + cls + "\", not ControlNetModel or T2IAdapter");
      f.weights = files::find_weights_file(path);
    } else {
      f.weights = path;
    }
    auto st = files::open_weights(f.weights);
    std::vector<std::string> names;
    for (const auto& t : st->tensors()) names.push_back(t.name);
    f.prefix = st->contains("control_model.input_hint_block.0.weight") ? "control_model." : "";
    bool sgm = false;
    f.kind = kind_of(names, f.prefix, &sgm);
    f.layout = sgm ? "sgm" : "diffusers";
  } catch (const Error& e) {
    if (e.category() != ErrorCategory::Input) throw;
    throw input_error("", path + ": " + e.detail());
  }
  return f;
}

ControlNetModel load_controlnet(const ControlModelFile& f, const std::string& config_dir,
                                const nlohmann::json& base_unet_config, const at::TensorOptions& options) {
  if (f.kind != ControlKind::ControlNet)
    throw input_error("", f.path + ": a " + std::string(to_string(f.kind)) + ", which sdxl-gen does not run (supported: SDXL "
                "ControlNets in diffusers or original layout, control-LoRAs, T2I-Adapters)");
  auto st = files::open_weights(f.weights);
  ShapeMap stored;
  for (const auto& t : st->tensors())
    if (starts_with(t.name, f.prefix)) stored[t.name.substr(f.prefix.size())] = t.shape;
  const bool sgm = f.layout == "sgm";
  const UNetConfig base = UNetConfig::from_json(base_unet_config, "base unet config");
  std::string config_from;
  nlohmann::json config = given_config(f, config_dir, &config_from);
  if (config.is_null()) {
    config_from = f.path + " (inferred from tensor shapes)";
    config = infer_config(stored, sgm ? sgm_naming(base.layers_per_block[0]) : diffusers_naming(), base_unet_config, f.path);
  }
  ControlNetConfig cfg = ControlNetConfig::from_json(config, config_from);
  const UNetConfig& c = cfg.unet;
  if (c.cross_attention_dim != base.cross_attention_dim || c.block_out_channels != base.block_out_channels ||
      c.layers_per_block != base.layers_per_block)
    throw input_error("", f.path + ": the ControlNet does not fit the base model (cross-attention width " +
                std::to_string(c.cross_attention_dim) + " vs " + std::to_string(base.cross_attention_dim) + ", " +
                std::to_string(c.levels()) + " levels of widths " + shape_str(c.block_out_channels) + " vs " +
                shape_str(base.block_out_channels) + ")");

  ControlNetModel model(cfg, options);
  StateDict tensors;
  std::set<std::string> used;
  if (sgm) {
    nlohmann::json names_config = config;  // the UNet tables read a UNet config
    names_config["_class_name"] = "UNet2DConditionModel";
    names_config["up_block_types"] = base_unet_config.at("up_block_types");
    const OriginalNames unet_names("unet", names_config);
    const size_t hint_convs = cfg.conditioning_embedding_out_channels.size() * 2 - 2;
    for (const auto& [name, shape] : module_shapes(*model)) {
      const std::string stored_name = sgm_name(name, unet_names, hint_convs);
      if (!st->contains(f.prefix + stored_name)) continue;  // reported as missing by the strict loader
      tensors[name] = st->tensor(f.prefix + stored_name);
      used.insert(stored_name);
    }
    std::vector<std::string> unexpected;
    for (const auto& [name, shape] : stored)
      if (!used.count(name)) unexpected.push_back(name);
    if (!unexpected.empty())
      throw input_error("", f.path + ": " + std::to_string(unexpected.size()) + " tensors of the original layout match no "
                  "ControlNet parameter, e.g. '" + unexpected.front() + "'");
  } else {
    for (const auto& [name, shape] : stored) tensors[name] = st->tensor(f.prefix + name);
  }
  load_state_dict(*model, tensors, "controlnet from " + f.path);
  return model;
}

ControlNetModel load_control_lora(const ControlModelFile& f, const nlohmann::json& base_unet_config,
                                  const StateDict& base_unet, const at::TensorOptions& options) {
  if (f.kind != ControlKind::ControlLora) throw input_error("", f.path + ": not a control-LoRA");
  auto st = files::open_weights(f.weights);
  ShapeMap stored;
  for (const auto& t : st->tensors()) stored[t.name] = t.shape;
  // The base's architecture; the conditioning embedding's widths from the hint block the file carries whole.
  nlohmann::json config = base_unet_config;
  config["_class_name"] = "ControlNetModel";
  const Naming sgm = sgm_naming(0);
  nlohmann::json hint = nlohmann::json::array();
  for (size_t k = 0; stored.count(sgm.hint(k)); k += 2) hint.push_back(stored.at(sgm.hint(k))[0]);
  config["conditioning_channels"] = shape_of(stored, sgm.hint(0), f.path)[1];
  config["conditioning_embedding_out_channels"] = hint;
  for (const char* key : {"up_block_types", "out_channels", "conv_out_kernel", "sample_size", "center_input_sample"})
    config.erase(key);
  const ControlNetConfig cfg = ControlNetConfig::from_json(config, f.path + " (base model's architecture)");
  ControlNetModel model(cfg, options);
  nlohmann::json names_config = config;
  names_config["_class_name"] = "UNet2DConditionModel";
  names_config["up_block_types"] = base_unet_config.at("up_block_types");
  const OriginalNames unet_names("unet", names_config);
  const size_t hint_convs = cfg.conditioning_embedding_out_channels.size() * 2 - 2;

  StateDict tensors;
  std::set<std::string> used{"lora_controlnet"};
  for (const auto& [name, shape] : module_shapes(*model)) {
    const std::string stored_name = sgm_name(name, unet_names, hint_convs);
    const std::string stem = stored_name.substr(0, stored_name.size() - std::string(".weight").size());
    if (st->contains(stored_name)) {  // whole
      tensors[name] = st->tensor(stored_name);
      used.insert(stored_name);
      continue;
    }
    auto base = base_unet.find(name);
    if (base == base_unet.end()) continue;  // reported as missing by the strict loader
    if (!ends_with(stored_name, ".weight") || !st->contains(stem + ".up") || !st->contains(stem + ".down")) {
      tensors[name] = base->second;
      continue;
    }
    // base + up @ down in float32 (ComfyUI's ControlLoraOps: up and down flattened to matrices).
    const at::Tensor up = st->tensor(stem + ".up").to(at::kFloat).flatten(1);
    const at::Tensor down = st->tensor(stem + ".down").to(at::kFloat).flatten(1);
    const at::Tensor w = base->second.to(at::kFloat);
    if (up.size(0) != w.size(0) || up.size(1) != down.size(0) || down.size(1) * w.size(0) != w.numel())
      throw input_error("", f.path + ": the factors " + stem + ".up " + shape_str(stored.at(stem + ".up")) + " and .down " +
                  shape_str(stored.at(stem + ".down")) + " do not fit the base model's " + shape_str(w.sizes().vec()));
    tensors[name] = w + at::mm(up, down).reshape(w.sizes());
    used.insert(stem + ".up");
    used.insert(stem + ".down");
  }
  for (const auto& [name, shape] : stored)
    if (!used.count(name))
      throw input_error("", f.path + ": the control-LoRA tensor '" + name + "' matches no parameter of a ControlNet for the base "
                  "model");
  load_state_dict(*model, tensors, "control-LoRA from " + f.path);
  return model;
}

T2IAdapterModel load_t2i_adapter(const ControlModelFile& f, const std::string& config_dir,
                                 const at::TensorOptions& options) {
  if (f.kind != ControlKind::T2IAdapter) throw input_error("", f.path + ": not a T2I-Adapter");
  auto st = files::open_weights(f.weights);
  // Stored name of each diffusers name: itself, or the original layout's (original_t2i_adapter_names).
  std::map<std::string, std::string> stored_of;
  std::vector<std::string> names;
  for (const auto& t : st->tensors()) names.push_back(t.name);
  const bool original = is_original_t2i_adapter(names);
  if (original) stored_of = original_t2i_adapter_names(names, f.path);
  else
    for (const auto& n : names) stored_of[n] = n;
  std::string config_from;
  nlohmann::json config = given_config(f, config_dir, &config_from);
  if (config.is_null()) {
    // A lone file: widths, depth and the unshuffle factor from the shapes (3 input channels).
    ShapeMap shapes;
    for (const auto& [name, stored] : stored_of) shapes[name] = st->find(stored)->shape;
    config_from = f.path + " (inferred from tensor shapes)";
    const auto& conv_in = shape_of(shapes, "adapter.conv_in.weight", f.path);
    nlohmann::json channels = nlohmann::json::array();
    for (int i = 0; i < 4; ++i)
      channels.push_back(shape_of(shapes, "adapter.body." + std::to_string(i) + ".resnets.0.block1.weight", f.path)[0]);
    int64_t blocks = 0;
    while (shapes.count("adapter.body.0.resnets." + std::to_string(blocks) + ".block1.weight")) ++blocks;
    int64_t factor = 1;
    while (3 * factor * factor < conv_in[1]) ++factor;
    if (3 * factor * factor != conv_in[1])
      throw input_error("", f.path + ": adapter.conv_in takes " + std::to_string(conv_in[1]) +
                  " channels, not 3 x a square unshuffle factor; give --control-config DIR");
    // The original SD 1.x adapters unshuffle by 8 (features at the SD 1.x UNet's sizes); the XL ones by 16.
    if (original && factor != 16)
      throw input_error("", f.path + ": an SD 1.x T2I-Adapter (pixel unshuffle " + std::to_string(factor) +
                  "; SDXL adapters use 16), which sdxl-gen does not run");
    config = {{"_class_name", "T2IAdapter"}, {"adapter_type", "full_adapter_xl"}, {"in_channels", 3},
              {"channels", channels}, {"num_res_blocks", blocks}, {"downscale_factor", factor}};
  }
  T2IAdapterModel model(T2IAdapterConfig::from_json(config, config_from), options);
  StateDict tensors;
  for (const auto& [name, stored] : stored_of) tensors[name] = st->tensor(stored);
  load_state_dict(*model, tensors, "t2i adapter from " + f.path);
  return model;
}

}  // namespace sdxl
