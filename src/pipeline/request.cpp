// GenerationRequest <-> JSON (prompt-file lines, the PNG `sdxl-gen` chunk) and validation.
#include "sdxl/request.h"

#include <cmath>
#include <functional>

#include "common/error.h"
#include "io/size_parse.h"

namespace sdxl {
namespace {

using json = nlohmann::json;

std::string size_str(const Size& s) { return std::to_string(s.width) + "x" + std::to_string(s.height); }

Size size_from(const json& v, const std::string& field) {
  if (!v.is_string()) throw Error(field + ": expected a size string like \"1024x768\"");
  try {
    auto wh = io::parse_size(v.get<std::string>(), 1);  // validate() checks multiples of 8
    return Size{wh.height, wh.width};
  } catch (const Error& e) {
    throw Error(field + ": " + e.what());
  }
}

std::pair<int, int> pair_from(const json& v, const std::string& field) {
  if (!v.is_string()) throw Error(field + ": expected \"TOP,LEFT\"");
  try {
    return io::parse_pair(v.get<std::string>());
  } catch (const Error& e) {
    throw Error(field + ": " + e.what());
  }
}

template <typename T>
T get_as(const json& v, const std::string& field) {
  try {
    return v.get<T>();
  } catch (const std::exception&) {
    throw Error(field + ": invalid value " + v.dump());
  }
}

template <typename T>
T get_number(const json& v, const std::string& field) {
  if (!v.is_number()) throw Error(field + ": expected a number, got " + v.dump());
  if constexpr (std::is_integral_v<T>) {
    if (!v.is_number_integer()) throw Error(field + ": expected an integer, got " + v.dump());
    if constexpr (std::is_unsigned_v<T>) {
      if (v.is_number_integer() && !v.is_number_unsigned()) throw Error(field + ": must not be negative");
    }
  }
  return v.get<T>();
}

std::optional<std::string> opt_string(const json& v, const std::string& field) {
  if (v.is_null()) return std::nullopt;
  return get_as<std::string>(v, field);
}

// "loras": [{"path": "a.safetensors", "multiplier": 0.8}, ...]; multiplier defaults to 1.
std::vector<LoraSpec> loras_from(const json& v, const std::string& field) {
  if (!v.is_array()) throw Error(field + ": expected a list of {\"path\": ..., \"multiplier\": ...}");
  std::vector<LoraSpec> out;
  for (const json& e : v) {
    if (!e.is_object() || !e.contains("path")) throw Error(field + ": each entry needs a \"path\", got " + e.dump());
    LoraSpec spec;
    for (auto it = e.begin(); it != e.end(); ++it) {
      if (it.key() == "path") spec.path = get_as<std::string>(it.value(), field + ".path");
      else if (it.key() == "multiplier") spec.multiplier = get_number<double>(it.value(), field + ".multiplier");
      else if (it.key() == "sha256") spec.sha256 = get_as<std::string>(it.value(), field + ".sha256");
      else if (it.key() == "webui_hash") spec.webui_hash = get_as<std::string>(it.value(), field + ".webui_hash");
      else throw Error(field + ": unknown key '" + it.key() + "' (expected path, multiplier, sha256, webui_hash)");
    }
    out.push_back(spec);
  }
  return out;
}

// One entry per field: how to read it from JSON into the request.
using Setter = std::function<void(GenerationRequest&, const json&, const std::string&)>;

const std::map<std::string, Setter>& setters() {
  static const std::map<std::string, Setter> table = {
      {"prompt", [](auto& r, auto& v, auto& f) { r.prompt = get_as<std::string>(v, f); }},
      {"prompt_2", [](auto& r, auto& v, auto& f) { r.prompt_2 = opt_string(v, f); }},
      {"negative_prompt", [](auto& r, auto& v, auto& f) { r.negative_prompt = opt_string(v, f); }},
      {"negative_prompt_2", [](auto& r, auto& v, auto& f) { r.negative_prompt_2 = opt_string(v, f); }},
      {"long_prompt", [](auto& r, auto& v, auto& f) { r.long_prompt = get_as<std::string>(v, f); }},
      {"prompt_syntax", [](auto& r, auto& v, auto& f) { r.prompt_syntax = get_as<std::string>(v, f); }},
      {"size", [](auto& r, auto& v, auto& f) { r.size = size_from(v, f); }},
      {"bucket", [](auto& r, auto& v, auto& f) { r.bucket = get_as<bool>(v, f); }},
      {"steps", [](auto& r, auto& v, auto& f) { r.steps = get_number<int>(v, f); }},
      {"cfg", [](auto& r, auto& v, auto& f) { r.cfg = get_number<double>(v, f); }},
      {"guidance_rescale", [](auto& r, auto& v, auto& f) { r.guidance_rescale = get_number<double>(v, f); }},
      {"sampler", [](auto& r, auto& v, auto& f) { r.sampler = get_as<std::string>(v, f); }},
      {"karras", [](auto& r, auto& v, auto& f) { r.karras = get_as<bool>(v, f); }},
      {"timestep_spacing", [](auto& r, auto& v, auto& f) { r.timestep_spacing = opt_string(v, f); }},
      {"seed", [](auto& r, auto& v, auto& f) {
         if (v.is_null()) r.seed.reset(); else r.seed = get_number<uint64_t>(v, f);
       }},
      {"num_images", [](auto& r, auto& v, auto& f) { r.num_images = get_number<int>(v, f); }},
      {"batch_noise", [](auto& r, auto& v, auto& f) { r.batch_noise = get_as<std::string>(v, f); }},
      {"original_size", [](auto& r, auto& v, auto& f) { r.original_size = size_from(v, f); }},
      {"target_size", [](auto& r, auto& v, auto& f) { r.target_size = size_from(v, f); }},
      {"negative_original_size", [](auto& r, auto& v, auto& f) { r.negative_original_size = size_from(v, f); }},
      {"negative_target_size", [](auto& r, auto& v, auto& f) { r.negative_target_size = size_from(v, f); }},
      {"crop_top_left", [](auto& r, auto& v, auto& f) { r.crop_top_left = pair_from(v, f); }},
      {"negative_crop_top_left", [](auto& r, auto& v, auto& f) { r.negative_crop_top_left = pair_from(v, f); }},
      {"aesthetic_score", [](auto& r, auto& v, auto& f) { r.aesthetic_score = get_number<double>(v, f); }},
      {"negative_aesthetic_score",
       [](auto& r, auto& v, auto& f) { r.negative_aesthetic_score = get_number<double>(v, f); }},
      {"init_image", [](auto& r, auto& v, auto& f) { r.init_image = opt_string(v, f); }},
      {"strength", [](auto& r, auto& v, auto& f) { r.strength = get_number<double>(v, f); }},
      {"refiner_mode", [](auto& r, auto& v, auto& f) { r.refiner_mode = get_as<std::string>(v, f); }},
      {"refiner_strength", [](auto& r, auto& v, auto& f) { r.refiner_strength = get_number<double>(v, f); }},
      {"high_noise_frac", [](auto& r, auto& v, auto& f) { r.high_noise_frac = get_number<double>(v, f); }},
      {"refiner_seed", [](auto& r, auto& v, auto& f) {
         if (v.is_null()) r.refiner_seed.reset(); else r.refiner_seed = get_number<uint64_t>(v, f);
       }},
      {"refiner_steps", [](auto& r, auto& v, auto& f) {
         if (v.is_null()) r.refiner_steps.reset(); else r.refiner_steps = get_number<int>(v, f);
       }},
      {"loras", [](auto& r, auto& v, auto& f) { r.loras = loras_from(v, f); }},
      {"vae_tiling", [](auto& r, auto& v, auto& f) { r.vae_tiling = get_as<bool>(v, f); }},
      {"save_latents", [](auto& r, auto& v, auto& f) { r.save_latents = opt_string(v, f); }},
      {"save_trajectory", [](auto& r, auto& v, auto& f) { r.save_trajectory = get_as<bool>(v, f); }},
  };
  return table;
}

void check_one_of(const std::string& field, const std::string& value, std::initializer_list<const char*> allowed) {
  std::string list;
  for (const char* a : allowed) {
    if (value == a) return;
    list += (list.empty() ? "" : ", ") + std::string(a);
  }
  throw Error(field + ": unknown value '" + value + "' (expected one of: " + list + ")");
}

void check_size(const std::string& field, const Size& s) {
  if (s.width <= 0 || s.height <= 0) throw Error(field + ": size must be positive");
}

}  // namespace

const std::set<std::string>& request_fields() {
  static const std::set<std::string> names = [] {
    std::set<std::string> out;
    for (const auto& [name, setter] : setters()) out.insert(name);
    return out;
  }();
  return names;
}

json to_json(const GenerationRequest& r) {
  json j;
  j["prompt"] = r.prompt;
  auto put_opt = [&](const char* k, const auto& v) {
    if (v) j[k] = *v;
  };
  put_opt("prompt_2", r.prompt_2);
  put_opt("negative_prompt", r.negative_prompt);
  put_opt("negative_prompt_2", r.negative_prompt_2);
  j["long_prompt"] = r.long_prompt;
  j["prompt_syntax"] = r.prompt_syntax;
  j["size"] = size_str(r.size);
  if (r.bucket) j["bucket"] = true;
  j["steps"] = r.steps;
  j["cfg"] = r.cfg;
  j["guidance_rescale"] = r.guidance_rescale;
  j["sampler"] = r.sampler;
  j["karras"] = r.karras;
  put_opt("timestep_spacing", r.timestep_spacing);
  put_opt("seed", r.seed);
  j["num_images"] = r.num_images;
  j["batch_noise"] = r.batch_noise;
  if (r.original_size) j["original_size"] = size_str(*r.original_size);
  if (r.target_size) j["target_size"] = size_str(*r.target_size);
  if (r.negative_original_size) j["negative_original_size"] = size_str(*r.negative_original_size);
  if (r.negative_target_size) j["negative_target_size"] = size_str(*r.negative_target_size);
  auto pair_str = [](const std::pair<int, int>& p) { return std::to_string(p.first) + "," + std::to_string(p.second); };
  if (r.crop_top_left) j["crop_top_left"] = pair_str(*r.crop_top_left);
  if (r.negative_crop_top_left) j["negative_crop_top_left"] = pair_str(*r.negative_crop_top_left);
  j["aesthetic_score"] = r.aesthetic_score;
  j["negative_aesthetic_score"] = r.negative_aesthetic_score;
  put_opt("init_image", r.init_image);
  j["strength"] = r.strength;
  j["refiner_mode"] = r.refiner_mode;
  j["refiner_strength"] = r.refiner_strength;
  j["high_noise_frac"] = r.high_noise_frac;
  put_opt("refiner_seed", r.refiner_seed);
  put_opt("refiner_steps", r.refiner_steps);
  if (!r.loras.empty()) {
    j["loras"] = json::array();
    for (const LoraSpec& l : r.loras) {
      json e = {{"path", l.path}, {"multiplier", l.multiplier}};
      if (!l.sha256.empty()) e["sha256"] = l.sha256;
      if (!l.webui_hash.empty()) e["webui_hash"] = l.webui_hash;
      j["loras"].push_back(e);
    }
  }
  j["vae_tiling"] = r.vae_tiling;
  put_opt("save_latents", r.save_latents);
  j["save_trajectory"] = r.save_trajectory;
  return j;
}

GenerationRequest request_from_json(const json& j, const GenerationRequest& base) {
  if (!j.is_object()) throw Error("request must be a JSON object");
  GenerationRequest r = base;
  for (auto it = j.begin(); it != j.end(); ++it) {
    auto s = setters().find(it.key());
    if (s == setters().end()) throw Error("unknown field '" + it.key() + "'");
    s->second(r, it.value(), it.key());
  }
  return r;
}

void validate(const GenerationRequest& r) {
  check_size("size", r.size);
  if (r.size.width % 8 != 0 || r.size.height % 8 != 0)
    throw Error("size: " + size_str(r.size) + " is not a multiple of 8 in both sides");
  if (r.steps < 1 || r.steps > 10000) throw Error("steps: must be between 1 and 10000, got " + std::to_string(r.steps));
  if (!std::isfinite(r.cfg) || r.cfg < 0) throw Error("cfg: must be a finite number >= 0");
  if (!std::isfinite(r.guidance_rescale) || r.guidance_rescale < 0 || r.guidance_rescale > 1)
    throw Error("guidance_rescale: must be in [0, 1]");
  check_one_of("sampler", r.sampler, {"ddim", "euler", "euler_a", "dpmpp_2m"});
  if (r.timestep_spacing) check_one_of("timestep_spacing", *r.timestep_spacing, {"leading", "trailing", "linspace"});
  if (r.num_images < 1 || r.num_images > 64) throw Error("num_images: must be between 1 and 64");
  check_one_of("batch_noise", r.batch_noise, {"per-image", "shared"});
  check_one_of("long_prompt", r.long_prompt, {"truncate", "chunk"});
  check_one_of("prompt_syntax", r.prompt_syntax, {"none", "a1111"});
  check_one_of("refiner_mode", r.refiner_mode, {"sdedit", "expert"});
  for (auto [name, v] : {std::pair{"strength", r.strength}, std::pair{"refiner_strength", r.refiner_strength},
                         std::pair{"high_noise_frac", r.high_noise_frac}})
    if (!std::isfinite(v) || v <= 0 || v > 1) throw Error(std::string(name) + ": must be in (0, 1]");
  if (!std::isfinite(r.aesthetic_score) || !std::isfinite(r.negative_aesthetic_score))
    throw Error("aesthetic_score: must be finite");
  for (const auto* s : {&r.original_size, &r.target_size, &r.negative_original_size, &r.negative_target_size})
    if (*s) check_size("micro-conditioning size", **s);
  for (const LoraSpec& l : r.loras)
    if (l.path.empty() || !std::isfinite(l.multiplier)) throw Error("loras: each needs a path and a finite multiplier");
  if (r.refiner_steps && *r.refiner_steps < 1) throw Error("refiner_steps: must be >= 1");
}

}  // namespace sdxl
