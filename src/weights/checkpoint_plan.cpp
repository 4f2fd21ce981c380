#include "weights/checkpoint_plan.h"
#include "common/strings.h"

#include "common/config_reader.h"
#include "common/error.h"
#include "weights/checkpoint_files.h"
#include "weights/checkpoint_layouts.h"
#include "weights/infer_config.h"
#include "weights/presets.h"

#include <filesystem>
#include <optional>

namespace sdxl {
namespace {
namespace files = checkpoint_files;


// Component named by a config.json: diffusers' _class_name or transformers' architectures.
std::string component_of_config(const nlohmann::json& cfg) {
  const config::Reader r(cfg, "config.json");
  const std::string cls = r.string("_class_name", "");
  if (cls == "UNet2DConditionModel") return "unet";
  if (cls == "AutoencoderKL") return "vae";
  if (r.has("architectures"))
    for (const std::string& a : r.strings("architectures")) {
      if (a == "CLIPTextModelWithProjection") return "text_encoder_2";
      if (a == "CLIPTextModel") return "text_encoder";
    }
  return "";
}

bool has_prefix(const io::SafetensorsFile& file, const std::string& prefix) {
  for (const auto& t : file.tensors())
    if (starts_with(t.name, prefix)) return true;
  return false;
}

ShapeMap shapes_under(const io::SafetensorsFile& file, const std::string& prefix) {
  ShapeMap out;
  for (const auto& t : file.tensors())
    if (starts_with(t.name, prefix)) out[t.name.substr(prefix.size())] = t.shape;
  return out;
}

bool is_float_dtype(const std::string& dtype) {
  return dtype == "F16" || dtype == "BF16" || dtype == "F32" || dtype == "F64";
}

// One component's tensors inside a file.
struct Source {
  std::string component;
  std::shared_ptr<io::SafetensorsFile> file;
  std::string prefix;
  Naming naming = Naming::Canonical;
  std::string own_config_dir;  // folder whose config.json belongs to this component, or ""
};

// Time ids the UNet's add embedding expects: (input - pooled) / per-id width, or 0 if that does not divide.
int time_ids_of(const nlohmann::json& unet_config, int64_t pooled) {
  const config::Reader r(unet_config, "unet config");
  const int64_t in = r.integer("projection_class_embeddings_input_dim", 0);
  const int64_t per_id = r.integer("addition_time_embed_dim", 0);
  if (in <= pooled || per_id <= 0 || (in - pooled) % per_id != 0) return 0;
  return static_cast<int>((in - pooled) / per_id);
}

std::optional<ModelKind> kind_of_time_ids(int ids) {
  if (ids == 6) return ModelKind::Base;
  if (ids == 5) return ModelKind::Refiner;
  return std::nullopt;
}

class Planner {
 public:
  Planner(const std::string& path, const std::string& config_dir) : config_dir_(config_dir) {
    plan_.path = path;
    if (!config_dir.empty() && !files::is_dir(config_dir))
      throw Error(ErrorCategory::Input, "", config_dir + ": config folder does not exist or is not a folder");
  }

  CheckpointPlan run() {
    namespace fs = std::filesystem;
    const std::string& path = plan_.path;
    std::error_code ec;
    if (!fs::exists(path, ec)) throw Error(ErrorCategory::Input, "", path + ": no such file or folder");
    if (files::is_dir(path)) {
      if (files::is_file(files::join(path, "model_index.json")))
        plan_diffusers_folder();
      else if (files::is_file(files::join(path, "config.json")))
        plan_component_folder();
      else
        throw Error(ErrorCategory::Input, "", path + ": folder has neither model_index.json (a diffusers pipeline) nor config.json (one "
                    "component); expected a .safetensors file or a diffusers folder");
    } else {
      auto file = files::open_weights(path);
      bool single = false;
      for (const auto& marker : single_file_markers()) single = single || has_prefix(*file, marker);
      if (single)
        plan_single_file(file);
      else
        plan_component_file(file);
    }
    finish();
    return std::move(plan_);
  }

 private:
  void plan_single_file(const std::shared_ptr<io::SafetensorsFile>& file) {
    plan_.layout = "single-file";
    if (has_prefix(*file, kBaseEmbedderPrefix))
      embedder_kind_ = ModelKind::Base;
    else if (has_prefix(*file, kRefinerEmbedderPrefix))
      embedder_kind_ = ModelKind::Refiner;
    std::vector<Source> sources;
    for (const auto& part : single_file_parts(embedder_kind_.value_or(ModelKind::Base)))
      if (has_prefix(*file, part.prefix)) sources.push_back({part.component, file, part.prefix, Naming::Original, ""});
    plan_sources(sources);
    // Tensors under no component prefix.
    std::set<std::string> prefixes;
    for (const auto& s : sources) prefixes.insert(s.prefix);
    for (const auto& t : file->tensors()) {
      bool owned = false;
      for (const auto& p : prefixes) owned = owned || starts_with(t.name, p);
      if (owned) continue;
      if (is_unused_tensor("", t.name))
        plan_.ignored.push_back(t.name);
      else
        plan_.unassigned.push_back(t.name);
    }
  }

  void plan_diffusers_folder() {
    plan_.layout = "diffusers";
    own_root_ = plan_.path;
    own_index_ = files::read_json(files::join(plan_.path, "model_index.json"));
    std::vector<Source> sources;
    for (const auto& c : kComponents) {
      // model_index lists present components as [library, class]; [null, null] or no entry = absent.
      if (!own_index_.is_object()) throw Error(ErrorCategory::Input, "", files::join(plan_.path, "model_index.json") + ": not a JSON object");
      auto it = own_index_.find(c);
      if (it == own_index_.end() || !it->is_array() || it->empty() || it->at(0).is_null()) continue;
      const std::string folder = files::join(plan_.path, c);
      if (!files::is_dir(folder)) throw Error(ErrorCategory::Input, "", folder + ": missing (model_index.json lists " + c + ")");
      sources.push_back({c, files::open_weights(files::find_weights_file(folder)), "", Naming::Canonical, folder});
    }
    if (sources.empty()) throw Error(ErrorCategory::Input, "", plan_.path + "/model_index.json: lists none of unet, vae, text_encoder, text_encoder_2");
    plan_sources(sources);
  }

  void plan_component_folder() {
    plan_.layout = "component";
    const std::string& dir = plan_.path;
    const std::string c = component_of_config(files::read_json(files::join(dir, "config.json")));
    if (c.empty())
      throw Error(ErrorCategory::Input, "", files::join(dir, "config.json") +
                  ": not a UNet2DConditionModel, AutoencoderKL, CLIPTextModel or CLIPTextModelWithProjection config");
    plan_sources({{c, files::open_weights(files::find_weights_file(dir)), "", Naming::Canonical, dir}});
  }

  void plan_component_file(const std::shared_ptr<io::SafetensorsFile>& file) {
    plan_.layout = "component";
    for (const auto& sig : component_signatures()) {
      if (!file->contains(sig.tensor)) continue;
      // A diffusers weights file may have its config.json beside it.
      namespace fs = std::filesystem;
      const fs::path p(plan_.path);
      const std::string stem = p.filename().string();
      const bool diffusers_file = starts_with(stem, "diffusion_pytorch_model") || starts_with(stem, "model.");
      const std::string dir = p.parent_path().string();
      const std::string own = diffusers_file && files::is_file(files::join(dir.empty() ? "." : dir, "config.json"))
                                  ? (dir.empty() ? "." : dir)
                                  : "";
      plan_sources({{sig.component, file, "", sig.naming, own}});
      return;
    }
    std::string first;
    for (size_t i = 0; i < file->tensors().size() && i < 3; ++i) first += (i ? ", " : "") + file->tensors()[i].name;
    throw Error(ErrorCategory::Input, "", plan_.path + ": not an SDXL checkpoint: no model.diffusion_model./first_stage_model./conditioner. "
                "tensors and no UNet, VAE or CLIP tensor names (first tensors: " + first + ")");
  }

  // Configs in dependency order (text encoder 2 gives the UNet's pooled width), then the tensor mapping.
  void plan_sources(const std::vector<Source>& sources) {
    std::map<std::string, const Source*> by_name;
    for (const auto& s : sources) by_name[s.component] = &s;
    std::map<std::string, std::pair<nlohmann::json, std::string>> configs;
    for (const std::string c : {"text_encoder", "text_encoder_2", "vae", "unet"})
      if (by_name.count(c)) configs[c] = resolve_config(*by_name[c], configs);
    if (!unresolved_.empty()) {
      std::string why;
      for (const auto& u : unresolved_) why += (why.empty() ? "" : "; ") + u;
      throw Error(ErrorCategory::Input, "", plan_.path + ": cannot infer the model configs from tensor shapes (" + why +
                  "); pass a diffusers config folder (config_dir) holding <component>/config.json");
    }
    for (const auto& c : kComponents)
      if (by_name.count(c)) plan_.components.push_back(map_component(*by_name[c], configs[c].first, configs[c].second));
  }

  int64_t pooled_width(const std::map<std::string, std::pair<nlohmann::json, std::string>>& configs) const {
    auto it = configs.find("text_encoder_2");
    if (it == configs.end()) return 0;
    return config::Reader(it->second.first, "text_encoder_2 config").integer("projection_dim", 0);
  }

  // config_dir/<component>/config.json, else the checkpoint's own config.json, else inferred from shapes.
  std::pair<nlohmann::json, std::string> resolve_config(
      const Source& s, const std::map<std::string, std::pair<nlohmann::json, std::string>>& configs) {
    const std::string rel = files::join(s.component, "config.json");
    if (!config_dir_.empty() && files::is_file(files::join(config_dir_, rel)))
      return {files::read_json(files::join(config_dir_, rel)), files::join(config_dir_, rel)};
    if (!s.own_config_dir.empty()) {
      const std::string own = files::join(s.own_config_dir, "config.json");
      if (files::is_file(own)) return {files::read_json(own), own};
    }
    const ShapeMap shapes = shapes_under(*s.file, s.prefix);
    InferredConfig inferred;
    if (s.component == "text_encoder") {
      inferred = infer_clip_config(shapes, s.component);
    } else if (s.component == "text_encoder_2") {
      inferred = s.naming == Naming::Original ? infer_open_clip_config(shapes) : infer_clip_config(shapes, s.component);
    } else if (s.naming == Naming::Canonical) {
      throw Error(ErrorCategory::Input, "", s.file->path() + ": a diffusers-named " + s.component +
                  " needs its config.json (beside the weights, or in <config folder>/" + s.component + "/)");
    } else if (s.component == "vae") {
      inferred = infer_vae_config(shapes);
    } else {
      int ids = 0;
      if (embedder_kind_) ids = *embedder_kind_ == ModelKind::Base ? 6 : 5;
      inferred = infer_unet_config(shapes, pooled_width(configs), ids);
    }
    for (const auto& u : inferred.unresolved) unresolved_.push_back(s.component + " " + u);
    return {inferred.config, "inferred from tensor shapes"};
  }

  ComponentPlan map_component(const Source& s, const nlohmann::json& config, const std::string& config_source) {
    ComponentPlan plan;
    plan.name = s.component;
    plan.config = config;
    plan.config_source = config_source;
    plan.file = s.file;
    const ShapeMap expected = expected_tensors(s.component, config);
    std::optional<OriginalNames> original;
    if (s.naming == Naming::Original) original.emplace(s.component, config);

    ShapeMap provided;
    std::map<std::string, std::string> key_of;  // canonical -> key in the file, where they differ
    std::set<std::string> consumed, dtypes;
    for (const auto& [name, shape] : expected) {
      const OriginalName form = original ? original->of(name) : OriginalName{name};
      const std::string key = s.prefix + form.name;
      if (key != name) key_of[name] = key;
      const io::TensorInfo* info = s.file->find(key);
      if (!info) continue;
      consumed.insert(key);
      provided[name] = canonical_shape(info->shape, form);
      plan.sources[name] = {key, form};
      dtypes.insert(info->dtype);
      if (!is_float_dtype(info->dtype)) plan.bad_dtypes.push_back(key + ": dtype " + info->dtype + " is not a float type");
      if (provided[name] == shape) {
        int64_t n = 1;
        for (auto d : shape) n *= d;
        plan.parameters += n;
      }
    }
    for (const auto& t : s.file->tensors()) {
      if (!starts_with(t.name, s.prefix) || consumed.count(t.name)) continue;
      if (is_unused_tensor(s.component, t.name.substr(s.prefix.size())) || is_unused_tensor("", t.name))
        plan_.ignored.push_back(t.name);
      else
        provided[t.name] = t.shape;  // reported as unexpected under its own name
    }
    plan.report = check_state_dict(expected, provided);
    // Name the file's key next to the canonical one so that a user can find it in the checkpoint.
    auto annotate = [&](std::string& entry) {
      const std::string name = entry.substr(0, entry.find(':'));
      auto it = key_of.find(name);
      if (it != key_of.end()) entry.insert(name.size(), " (" + it->second + ")");
    };
    for (const auto& m : plan.report.mismatched) plan.sources.erase(m.substr(0, m.find(':')));
    for (auto& m : plan.report.missing) annotate(m);
    for (auto& m : plan.report.mismatched) annotate(m);
    plan.dtypes.assign(dtypes.begin(), dtypes.end());
    return plan;
  }

  void finish() {
    const nlohmann::json index = config_index();
    const config::Reader index_reader(index, "model_index.json");
    // Kind: the UNet's add-embedding width fixes the number of time ids; else which encoders exist.
    std::optional<ModelKind> kind;
    const ComponentPlan* unet = find("unet");
    const ComponentPlan* te2 = find("text_encoder_2");
    if (unet) {
      const int64_t pooled =
          config::Reader(te2 ? te2->config : preset_config("sdxl-base", "text_encoder_2"), "text_encoder_2 config")
              .integer("projection_dim", 0);  // without a text_encoder_2: SDXL's bigG
      kind = kind_of_time_ids(time_ids_of(unet->config, pooled));
    }
    if (!kind && index_reader.boolean("requires_aesthetics_score", false)) kind = ModelKind::Refiner;
    if (!kind && embedder_kind_) kind = embedder_kind_;
    if (!kind && te2 && !find("text_encoder")) kind = ModelKind::Refiner;
    plan_.kind = kind.value_or(ModelKind::Base);
    plan_.force_zeros_for_empty_prompt =
        index_reader.boolean("force_zeros_for_empty_prompt", plan_.kind == ModelKind::Base);

    plan_.tokenizer_dir = tokenizer_dir("tokenizer");
    plan_.tokenizer_2_dir = tokenizer_dir("tokenizer_2");
    plan_.scheduler_config = files::read_json_if_present(config_dir_, "scheduler/scheduler_config.json");
    if (plan_.scheduler_config.is_null())
      plan_.scheduler_config = files::read_json_if_present(own_root_, "scheduler/scheduler_config.json");
  }

  // model_index.json of the config folder, else of the checkpoint's own folder.
  nlohmann::json config_index() const {
    nlohmann::json index = files::read_json_if_present(config_dir_, "model_index.json");
    return index.is_null() ? own_index_ : index;
  }

  std::string tokenizer_dir(const std::string& name) const {
    for (const std::string& root : {config_dir_, own_root_}) {
      if (root.empty()) continue;
      const std::string dir = files::join(root, name);
      if (files::is_file(files::join(dir, "vocab.json")) && files::is_file(files::join(dir, "merges.txt"))) return dir;
    }
    return "";
  }

  const ComponentPlan* find(const std::string& name) const {
    for (const auto& c : plan_.components)
      if (c.name == name) return &c;
    return nullptr;
  }

  std::string config_dir_, own_root_;
  nlohmann::json own_index_;
  std::optional<ModelKind> embedder_kind_;
  std::vector<std::string> unresolved_;  // config fields shape inference could not determine
  CheckpointPlan plan_;
};

}  // namespace

std::vector<std::string> CheckpointPlan::problems() const {
  std::vector<std::string> out;
  for (const auto& c : components) {
    // Wholesale mismatch usually means a config of another model: say so before the list.
    constexpr size_t kManyProblems = 20;
    if (c.report.missing.size() + c.report.unexpected.size() + c.report.mismatched.size() > kManyProblems)
      out.push_back(c.name + ": " + std::to_string(c.report.missing.size()) + " missing, " +
                    std::to_string(c.report.unexpected.size()) + " unexpected, " +
                    std::to_string(c.report.mismatched.size()) + " mis-shaped tensors: does the config (" +
                    c.config_source + ") describe this checkpoint?");
    for (const auto& m : c.report.missing) out.push_back(c.name + ": missing tensor " + m);
    for (const auto& u : c.report.unexpected) out.push_back(c.name + ": unexpected tensor " + u);
    for (const auto& m : c.report.mismatched) out.push_back(c.name + ": mis-shaped tensor " + m);
    for (const auto& d : c.bad_dtypes) out.push_back(c.name + ": " + d);
  }
  for (const auto& u : unassigned) out.push_back("unexpected tensor " + u + " (belongs to no SDXL component)");
  return out;
}

CheckpointPlan plan_checkpoint(const std::string& path, const std::string& config_dir) {
  return Planner(path, config_dir).run();
}

}  // namespace sdxl
