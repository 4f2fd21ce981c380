// GenerationRequest <-> JSON (flags, prompt-file lines, the PNG `sdxl-gen` chunk) and validation. One
// table lists every field with its JSON name; reading, writing and the list of names all come from it.
#include "sdxl/request.h"

#include <algorithm>
#include <cmath>
#include <functional>

#include "common/error.h"
#include "control/canny.h"
#include "io/size_parse.h"

namespace sdxl {
namespace {

using json = nlohmann::json;

static_assert(table_complete(kHiresUpscalerNames, HiresUpscaler::Lanczos),
              "kHiresUpscalerNames must list every HiresUpscaler");
static_assert(table_complete(kBatchNoiseNames, BatchNoise::Shared), "kBatchNoiseNames must list every BatchNoise");
static_assert(table_complete(kRefinerModeNames, RefinerMode::Expert), "kRefinerModeNames must list every RefinerMode");
static_assert(table_complete(kLongPromptNames, LongPrompt::Chunk), "kLongPromptNames must list every LongPrompt");
static_assert(table_complete(kPromptSyntaxNames, PromptSyntaxMode::A1111),
              "kPromptSyntaxNames must list every PromptSyntaxMode");

std::string size_str(const Size& s) { return std::to_string(s.width) + "x" + std::to_string(s.height); }

// The name table of each option enum.
const auto& names_of(SamplerKind) { return kSamplerNames; }
const auto& names_of(TimestepSpacing) { return kSpacingNames; }
const auto& names_of(PredictionType) { return kPredictionNames; }
const auto& names_of(BatchNoise) { return kBatchNoiseNames; }
const auto& names_of(HiresUpscaler) { return kHiresUpscalerNames; }
const auto& names_of(RefinerMode) { return kRefinerModeNames; }
const auto& names_of(LongPrompt) { return kLongPromptNames; }
const auto& names_of(PromptSyntaxMode) { return kPromptSyntaxNames; }

// JSON value -> member, one overload per member type; errors name the field.
void read(const json& v, const std::string& f, std::string& out) {
  if (!v.is_string()) throw usage_error(f, "expected a string, got " + v.dump());
  out = v.get<std::string>();
}
void read(const json& v, const std::string& f, bool& out) {
  if (!v.is_boolean()) throw usage_error(f, "expected true or false, got " + v.dump());
  out = v.get<bool>();
}
void read(const json& v, const std::string& f, double& out) {
  if (!v.is_number()) throw usage_error(f, "expected a number, got " + v.dump());
  out = v.get<double>();
}
template <typename T>
std::enable_if_t<std::is_integral_v<T>> read(const json& v, const std::string& f, T& out) {
  if (!v.is_number_integer()) throw usage_error(f, "expected an integer, got " + v.dump());
  // A value built in C++ (json{{"seed", 1}}) is a signed integer even when it is not negative.
  if (std::is_unsigned_v<T> && !v.is_number_unsigned() && v.get<int64_t>() < 0)
    throw usage_error(f, "must not be negative, got " + v.dump());
  if (!std::is_unsigned_v<T> && (v.get<int64_t>() < INT32_MIN || v.get<int64_t>() > INT32_MAX))
    throw usage_error(f, v.dump() + " is out of range");
  out = v.get<T>();
}
void read(const json& v, const std::string& f, Size& out) {
  if (!v.is_string()) throw usage_error(f, "expected a size string like \"1024x768\", got " + v.dump());
  try {
    auto wh = io::parse_size(v.get<std::string>(), 1);  // validate() checks multiples of 8
    out = Size{wh.height, wh.width};
  } catch (const Error& e) {
    throw usage_error(f, e.what());
  }
}
void read(const json& v, const std::string& f, std::pair<int, int>& out) {
  if (!v.is_string()) throw usage_error(f, "expected \"TOP,LEFT\", got " + v.dump());
  try {
    out = io::parse_pair(v.get<std::string>());
  } catch (const Error& e) {
    throw usage_error(f, e.what());
  }
}
// "LEFT,TOP,RIGHT,BOTTOM" margins (io::parse_edges: multiples of 8, not all zero).
void read(const json& v, const std::string& f, OutpaintEdges& out) {
  if (!v.is_string()) throw usage_error(f, "expected \"LEFT,TOP,RIGHT,BOTTOM\", got " + v.dump());
  try {
    const io::Edges e = io::parse_edges(v.get<std::string>());
    out = OutpaintEdges{e.left, e.top, e.right, e.bottom};
  } catch (const Error& e) {
    throw usage_error(f, e.what());
  }
}
template <typename E>
std::enable_if_t<std::is_enum_v<E>> read(const json& v, const std::string& f, E& out) {
  if (!v.is_string()) throw usage_error(f, "expected one of " + enum_names(names_of(E{})) + ", got " + v.dump());
  out = parse_enum(names_of(E{}), v.get<std::string>(), f);
}
template <typename T>
void read(const json& v, const std::string& f, std::optional<T>& out) {
  if (v.is_null()) {
    out.reset();
    return;
  }
  T value{};
  read(v, f, value);
  out = value;
}

// "loras": [{"path": "a.safetensors", "multiplier": 0.8}, ...] (multiplier default 1; sha256 / webui_hash are
// recorded by the pipeline for metadata).
void read(const json& v, const std::string& f, std::vector<LoraSpec>& out) {
  if (!v.is_array()) throw usage_error(f, "expected a list of {\"path\": ..., \"multiplier\": ...}, got " + v.dump());
  out.clear();
  for (const json& e : v) {
    if (!e.is_object() || !e.contains("path")) throw usage_error(f, "each entry needs a \"path\", got " + e.dump());
    LoraSpec spec;
    for (auto it = e.begin(); it != e.end(); ++it) {
      if (it.key() == "path") read(it.value(), f + ".path", spec.path);
      else if (it.key() == "multiplier") read(it.value(), f + ".multiplier", spec.multiplier);
      else if (it.key() == "sha256") read(it.value(), f + ".sha256", spec.sha256);
      else if (it.key() == "webui_hash") read(it.value(), f + ".webui_hash", spec.webui_hash);
      else throw usage_error(f, "unknown key '" + it.key() + "' (expected path, multiplier, sha256, webui_hash)");
    }
    out.push_back(spec);
  }
}
json loras_json(const std::vector<LoraSpec>& loras) {
  json out = json::array();
  for (const LoraSpec& l : loras) {
    json e = {{"path", l.path}, {"multiplier", l.multiplier}};
    if (!l.sha256.empty()) e["sha256"] = l.sha256;
    if (!l.webui_hash.empty()) e["webui_hash"] = l.webui_hash;
    out.push_back(e);
  }
  return out;
}

// "controls": [{"model": ..., "image": ..., "scale", "start", "end", "preprocess", "config"}, ...]
// (model_hash / image_sha256 are recorded by the pipeline for metadata).
void read(const json& v, const std::string& f, std::vector<ControlSpec>& out) {
  if (!v.is_array()) throw usage_error(f, "expected a list of {\"model\": ..., \"image\": ...}, got " + v.dump());
  out.clear();
  for (const json& e : v) {
    if (!e.is_object() || !e.contains("model") || !e.contains("image"))
      throw usage_error(f, "each entry needs a \"model\" and an \"image\", got " + e.dump());
    ControlSpec spec;
    for (auto it = e.begin(); it != e.end(); ++it) {
      const std::string k = it.key(), name = f + "." + k;
      if (k == "model") read(it.value(), name, spec.model);
      else if (k == "image") read(it.value(), name, spec.image);
      else if (k == "scale") read(it.value(), name, spec.scale);
      else if (k == "start") read(it.value(), name, spec.start);
      else if (k == "end") read(it.value(), name, spec.end);
      else if (k == "preprocess") read(it.value(), name, spec.preprocess);
      else if (k == "config") read(it.value(), name, spec.config);
      else if (k == "model_hash") read(it.value(), name, spec.model_hash);
      else if (k == "image_sha256") read(it.value(), name, spec.image_sha256);
      else
        throw usage_error(f, "unknown key '" + k +
                                 "' (expected model, image, scale, start, end, preprocess, config, model_hash, image_sha256)");
    }
    out.push_back(spec);
  }
}
json controls_json(const std::vector<ControlSpec>& controls) {
  json out = json::array();
  for (const ControlSpec& c : controls) {
    json e = {{"model", c.model}, {"image", c.image}, {"scale", c.scale}, {"start", c.start}, {"end", c.end},
              {"preprocess", c.preprocess}};
    if (!c.config.empty()) e["config"] = c.config;
    if (!c.model_hash.empty()) e["model_hash"] = c.model_hash;
    if (!c.image_sha256.empty()) e["image_sha256"] = c.image_sha256;
    out.push_back(e);
  }
  return out;
}

// "ip_adapters": [{"path": "ip.safetensors", "image": "face.png", "scale": 0.6, "image_encoder": ...}, ...]
// (scale default 1; sha256 / image_sha256 / image_encoder_used are recorded by the pipeline for metadata).
void read(const json& v, const std::string& f, std::vector<IpAdapterSpec>& out) {
  if (!v.is_array()) throw usage_error(f, "expected a list of {\"path\": ..., \"image\": ..., \"scale\": ...}, got " + v.dump());
  out.clear();
  for (const json& e : v) {
    if (!e.is_object() || !e.contains("path") || !e.contains("image"))
      throw usage_error(f, "each entry needs a \"path\" and an \"image\", got " + e.dump());
    IpAdapterSpec spec;
    for (auto it = e.begin(); it != e.end(); ++it) {
      if (it.key() == "path") read(it.value(), f + ".path", spec.path);
      else if (it.key() == "image") read(it.value(), f + ".image", spec.image);
      else if (it.key() == "scale") read(it.value(), f + ".scale", spec.scale);
      else if (it.key() == "image_encoder") {
        std::string p;
        read(it.value(), f + ".image_encoder", p);
        spec.image_encoder = p;
      } else if (it.key() == "sha256") read(it.value(), f + ".sha256", spec.sha256);
      else if (it.key() == "image_sha256") read(it.value(), f + ".image_sha256", spec.image_sha256);
      else if (it.key() == "image_encoder_used") read(it.value(), f + ".image_encoder_used", spec.image_encoder_used);
      else
        throw usage_error(f, "unknown key '" + it.key() +
                                 "' (expected path, image, scale, image_encoder, sha256, image_sha256, image_encoder_used)");
    }
    out.push_back(spec);
  }
}
json ip_adapters_json(const std::vector<IpAdapterSpec>& specs) {
  json out = json::array();
  for (const IpAdapterSpec& s : specs) {
    json e = {{"path", s.path}, {"image", s.image}, {"scale", s.scale}};
    if (s.image_encoder) e["image_encoder"] = *s.image_encoder;
    if (!s.sha256.empty()) e["sha256"] = s.sha256;
    if (!s.image_sha256.empty()) e["image_sha256"] = s.image_sha256;
    if (!s.image_encoder_used.empty()) e["image_encoder_used"] = s.image_encoder_used;
    out.push_back(e);
  }
  return out;
}

// Member -> JSON value (absent optionals are left out).
template <typename T>
json write(const T& v) {
  if constexpr (std::is_enum_v<T>) return enum_name(names_of(T{}), v);
  else if constexpr (std::is_same_v<T, Size>) return size_str(v);
  else if constexpr (std::is_same_v<T, std::pair<int, int>>) return std::to_string(v.first) + "," + std::to_string(v.second);
  else if constexpr (std::is_same_v<T, OutpaintEdges>) return to_string(v);
  else return v;
}

template <typename T>
struct is_optional : std::false_type {};
template <typename T>
struct is_optional<std::optional<T>> : std::true_type {};

struct Field {
  const char* name;
  std::function<void(GenerationRequest&, const json&)> read;
  std::function<void(const GenerationRequest&, json&)> write;
};

// The flat JSON name `name` for member `member` of the request's concern `group`.
template <typename G, typename T>
Field field(const char* name, G GenerationRequest::*group, T G::*member) {
  return Field{name, [name, group, member](GenerationRequest& r, const json& v) { read(v, name, r.*group.*member); },
               [name, group, member](const GenerationRequest& r, json& j) {
                 const T& value = r.*group.*member;
                 if constexpr (is_optional<T>::value) {
                   if (value) j[name] = write(*value);
                 } else {
                   j[name] = write(value);
                 }
               }};
}

// Every request field, by its JSON name (= the member name).
const std::vector<Field>& fields() {
  using R = GenerationRequest;
  static const std::vector<Field> table = {
      field("prompt", &R::text, &TextParams::prompt),
      field("prompt_2", &R::text, &TextParams::prompt_2),
      field("negative_prompt", &R::text, &TextParams::negative_prompt),
      field("negative_prompt_2", &R::text, &TextParams::negative_prompt_2),
      field("long_prompt", &R::text, &TextParams::long_prompt),
      field("prompt_syntax", &R::text, &TextParams::prompt_syntax),
      field("size", &R::sampling, &SamplingParams::size),
      field("bucket", &R::sampling, &SamplingParams::bucket),
      field("steps", &R::sampling, &SamplingParams::steps),
      field("cfg", &R::sampling, &SamplingParams::cfg),
      field("guidance_rescale", &R::sampling, &SamplingParams::guidance_rescale),
      field("sampler", &R::sampling, &SamplingParams::sampler),
      field("karras", &R::sampling, &SamplingParams::karras),
      field("timestep_spacing", &R::sampling, &SamplingParams::timestep_spacing),
      field("prediction_type", &R::sampling, &SamplingParams::prediction_type),
      field("zero_terminal_snr", &R::sampling, &SamplingParams::zero_terminal_snr),
      field("seed", &R::sampling, &SamplingParams::seed),
      field("num_images", &R::sampling, &SamplingParams::num_images),
      field("batch_noise", &R::sampling, &SamplingParams::batch_noise),
      field("original_size", &R::micro, &MicroConditioningParams::original_size),
      field("target_size", &R::micro, &MicroConditioningParams::target_size),
      field("negative_original_size", &R::micro, &MicroConditioningParams::negative_original_size),
      field("negative_target_size", &R::micro, &MicroConditioningParams::negative_target_size),
      field("crop_top_left", &R::micro, &MicroConditioningParams::crop_top_left),
      field("negative_crop_top_left", &R::micro, &MicroConditioningParams::negative_crop_top_left),
      field("aesthetic_score", &R::micro, &MicroConditioningParams::aesthetic_score),
      field("negative_aesthetic_score", &R::micro, &MicroConditioningParams::negative_aesthetic_score),
      field("init_image", &R::img2img, &Img2ImgParams::init_image),
      field("strength", &R::img2img, &Img2ImgParams::strength),
      field("mask", &R::inpaint, &InpaintParams::mask),
      field("mask_blur", &R::inpaint, &InpaintParams::mask_blur),
      field("keep_unmasked", &R::inpaint, &InpaintParams::keep_unmasked),
      field("inpaint_full_res", &R::inpaint, &InpaintParams::full_res),
      field("inpaint_padding", &R::inpaint, &InpaintParams::padding),
      field("outpaint", &R::inpaint, &InpaintParams::outpaint),
      field("hires_scale", &R::hires, &HiresParams::scale),
      field("hires_steps", &R::hires, &HiresParams::steps),
      field("hires_strength", &R::hires, &HiresParams::strength),
      field("hires_upscaler", &R::hires, &HiresParams::upscaler),
      field("refiner_mode", &R::refiner, &RefinerParams::mode),
      field("refiner_strength", &R::refiner, &RefinerParams::strength),
      field("high_noise_frac", &R::refiner, &RefinerParams::high_noise_frac),
      field("refiner_seed", &R::refiner, &RefinerParams::seed),
      field("refiner_steps", &R::refiner, &RefinerParams::steps),
      Field{"loras", [](R& r, const json& v) { read(v, "loras", r.adapters.loras); },
            [](const R& r, json& j) {
              if (!r.adapters.loras.empty()) j["loras"] = loras_json(r.adapters.loras);  // left out when none, like an absent optional
            }},
      Field{"ip_adapters", [](R& r, const json& v) { read(v, "ip_adapters", r.adapters.ip_adapters); },
            [](const R& r, json& j) {
              if (!r.adapters.ip_adapters.empty()) j["ip_adapters"] = ip_adapters_json(r.adapters.ip_adapters);
            }},
      Field{"controls", [](R& r, const json& v) { read(v, "controls", r.adapters.controls); },
            [](const R& r, json& j) {
              if (!r.adapters.controls.empty()) j["controls"] = controls_json(r.adapters.controls);
            }},
      field("control_guess_mode", &R::adapters, &AdapterParams::control_guess_mode),
      field("vae_tiling", &R::output, &OutputParams::vae_tiling),
      field("save_latents", &R::output, &OutputParams::save_latents),
      field("save_trajectory", &R::output, &OutputParams::save_trajectory),
      field("preview", &R::output, &OutputParams::preview),
      field("preview_every", &R::output, &OutputParams::preview_every),
  };
  return table;
}

void check_size(const std::string& field, const Size& s) {
  if (s.width <= 0 || s.height <= 0) throw usage_error(field, "size must be positive, got " + size_str(s));
}

}  // namespace

const char* to_string(HiresUpscaler v) { return enum_name(kHiresUpscalerNames, v); }
const char* to_string(BatchNoise v) { return enum_name(kBatchNoiseNames, v); }
const char* to_string(RefinerMode v) { return enum_name(kRefinerModeNames, v); }
const char* to_string(LongPrompt v) { return enum_name(kLongPromptNames, v); }
const char* to_string(PromptSyntaxMode v) { return enum_name(kPromptSyntaxNames, v); }
std::string to_string(const OutpaintEdges& e) {
  return std::to_string(e.left) + "," + std::to_string(e.top) + "," + std::to_string(e.right) + "," +
         std::to_string(e.bottom);
}

const std::set<std::string>& request_fields() {
  static const std::set<std::string> names = [] {
    std::set<std::string> out;
    for (const auto& f : fields()) out.insert(f.name);
    return out;
  }();
  return names;
}

json to_json(const GenerationRequest& r) {
  json j = json::object();
  for (const auto& f : fields()) f.write(r, j);
  return j;
}

GenerationRequest request_from_json(const json& j, const GenerationRequest& base) {
  if (!j.is_object()) throw usage_error("", "a request must be a JSON object");
  GenerationRequest r = base;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const auto& table = fields();
    auto f = std::find_if(table.begin(), table.end(), [&](const Field& x) { return it.key() == x.name; });
    if (f == table.end()) throw usage_error("", "unknown field '" + it.key() + "'");
    f->read(r, it.value());
  }
  // Inpainting's strength default is the reference's 0.9999, not img2img's.
  const bool masked = r.inpaint.mask || r.inpaint.outpaint, was_masked = base.inpaint.mask || base.inpaint.outpaint;
  if (masked && !was_masked && !j.contains("strength")) r.img2img.strength = kInpaintStrength;
  return r;
}

void validate(const GenerationRequest& r) {
  check_size("size", r.sampling.size);
  if (r.sampling.size.width % 8 != 0 || r.sampling.size.height % 8 != 0)
    throw usage_error("size", size_str(r.sampling.size) + " is not a multiple of 8 in both sides");
  if (r.sampling.steps < 1 || r.sampling.steps > 10000) throw usage_error("steps", "must be between 1 and 10000, got " + std::to_string(r.sampling.steps));
  if (!std::isfinite(r.sampling.cfg) || r.sampling.cfg < 0) throw usage_error("cfg", "must be a finite number >= 0");
  if (!std::isfinite(r.sampling.guidance_rescale) || r.sampling.guidance_rescale < 0 || r.sampling.guidance_rescale > 1)
    throw usage_error("guidance_rescale", "must be in [0, 1]");
  if (r.sampling.num_images < 1 || r.sampling.num_images > 64) throw usage_error("num_images", "must be between 1 and 64, got " + std::to_string(r.sampling.num_images));
  for (auto [name, v] : {std::pair{"strength", r.img2img.strength}, std::pair{"refiner_strength", r.refiner.strength},
                         std::pair{"high_noise_frac", r.refiner.high_noise_frac}})
    if (!std::isfinite(v) || v <= 0 || v > 1) throw usage_error(name, "must be in (0, 1]");
  if (!std::isfinite(r.micro.aesthetic_score) || !std::isfinite(r.micro.negative_aesthetic_score))
    throw usage_error("aesthetic_score", "must be finite");
  for (auto [name, s] : {std::pair{"original_size", &r.micro.original_size}, std::pair{"target_size", &r.micro.target_size},
                         std::pair{"negative_original_size", &r.micro.negative_original_size},
                         std::pair{"negative_target_size", &r.micro.negative_target_size}})
    if (*s) check_size(name, **s);
  if (r.refiner.steps && *r.refiner.steps < 1) throw usage_error("refiner_steps", "must be >= 1");
  if (r.output.preview_every < 1) throw usage_error("preview_every", "must be >= 1, got " + std::to_string(r.output.preview_every));
  for (const LoraSpec& l : r.adapters.loras)
    if (l.path.empty() || !std::isfinite(l.multiplier)) throw usage_error("loras", "each needs a path and a finite multiplier");
  for (const IpAdapterSpec& a : r.adapters.ip_adapters)
    if (a.path.empty() || a.image.empty() || !std::isfinite(a.scale))
      throw usage_error("ip_adapters", "each needs a path, an image and a finite scale");
  for (const ControlSpec& c : r.adapters.controls) {
    if (c.model.empty() || c.image.empty()) throw usage_error("control", "each control needs a model and an image");
    if (!std::isfinite(c.scale)) throw usage_error("control_scale", "must be a finite number");
    if (!std::isfinite(c.start) || !std::isfinite(c.end) || c.start < 0 || c.end > 1 || c.start >= c.end)
      throw usage_error("control_start", "start " + std::to_string(c.start) + " and end " + std::to_string(c.end) +
                                             " must satisfy 0 <= start < end <= 1");
    parse_control_preprocess(c.preprocess, "control_preprocess");
  }
  // Combinations the scheduler would reject only after the models load (diffusers: DDIMScheduler has no
  // use_karras_sigmas; img2img keeps int(steps * strength) steps, get_timesteps).
  if (r.sampling.karras && (r.sampling.sampler == SamplerKind::DDIM || r.sampling.sampler == SamplerKind::LCM))
    throw usage_error("karras", std::string("is not available for sampler '") + to_string(r.sampling.sampler) +
                                    "' (only euler, euler_a, dpmpp_2m)");
  if (r.inpaint.mask_blur < 0 || r.inpaint.mask_blur > 256) throw usage_error("mask_blur", "must be between 0 and 256");
  if (r.inpaint.padding < 0 || r.inpaint.padding > 16384)
    throw usage_error("inpaint_padding", "must be between 0 and 16384");
  if (r.inpaint.full_res && !r.inpaint.mask) throw usage_error("inpaint_full_res", "needs a mask");
  if (r.inpaint.outpaint) {
    // A value built in code skips the parser: the same rules (io::parse_edges) hold for it.
    const OutpaintEdges& e = *r.inpaint.outpaint;
    for (int side : {e.left, e.top, e.right, e.bottom})
      if (side < 0 || side > io::kMaxImageSide || side % 8 != 0)
        throw usage_error("outpaint", to_string(e) + ": each margin must be a multiple of 8 in 0.." +
                                          std::to_string(io::kMaxImageSide));
    if (e.left + e.top + e.right + e.bottom == 0) throw usage_error("outpaint", to_string(e) + ": extends no side");
    if (r.inpaint.mask) throw usage_error("outpaint", "makes its own mask: drop the mask");
  }
  if ((r.inpaint.mask || r.inpaint.outpaint) && !r.img2img.init_image)
    throw usage_error(r.inpaint.mask ? "mask" : "outpaint", "needs the image to inpaint (init_image)");
  if (r.hires.scale) {
    if (!std::isfinite(*r.hires.scale) || *r.hires.scale < 1 || *r.hires.scale > 8)
      throw usage_error("hires_scale", "must be between 1 and 8");
    if (r.hires.steps && (*r.hires.steps < 1 || *r.hires.steps > 10000))
      throw usage_error("hires_steps", "must be between 1 and 10000, got " + std::to_string(*r.hires.steps));
    if (!std::isfinite(r.hires.strength) || r.hires.strength <= 0 || r.hires.strength > 1)
      throw usage_error("hires_strength", "must be in (0, 1]");
    // The second pass keeps int(hires_steps * hires_strength) steps, as img2img does (get_timesteps).
    if (static_cast<int>(r.hires.steps.value_or(r.sampling.steps) * r.hires.strength) < 1)
      throw usage_error("hires_strength", std::to_string(r.hires.strength) + " with " +
                                              std::to_string(r.hires.steps.value_or(r.sampling.steps)) +
                                              " hires steps leaves no denoising step (needs steps * strength >= 1)");
    if (r.inpaint.mask || r.inpaint.outpaint)
      throw usage_error("hires_scale", "the hires fix does not combine with inpainting or outpainting");
  }
  if (r.img2img.init_image && static_cast<int>(r.sampling.steps * r.img2img.strength) < 1)
    throw usage_error("strength", std::to_string(r.img2img.strength) + " with " + std::to_string(r.sampling.steps) +
                                      " steps leaves no denoising step (needs steps * strength >= 1)");
}

}  // namespace sdxl
