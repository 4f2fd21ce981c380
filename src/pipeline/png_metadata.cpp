#include "pipeline/png_metadata.h"

#include "control/canny.h"

#include <cmath>
#include <sstream>

#include "common/error.h"
#include "pipeline/hires.h"

namespace sdxl {
namespace {

struct SamplerName {
  const char* ours;
  const char* a1111;
};
constexpr SamplerName kWebUiSamplerNames[] = {
    {"euler", "Euler"}, {"euler_a", "Euler a"}, {"ddim", "DDIM"}, {"dpmpp_2m", "DPM++ 2M"}, {"lcm", "LCM"}};

std::string format_number(double v) {
  std::ostringstream o;
  o << v;
  std::string s = o.str();
  if (s.find('.') == std::string::npos && s.find('e') == std::string::npos) s += ".0";
  return s;
}

// Values containing the separators are quoted, as the web UI does.
std::string quote_if_needed(const std::string& v) {
  if (v.find_first_of(",:\"\n") == std::string::npos) return v;
  nlohmann::json j = v;
  return j.dump();
}

// "dir/detail.safetensors" -> "detail" (the name the web UI's <lora:NAME:...> tags use).
std::string file_stem(const std::string& path) {
  const size_t slash = path.find_last_of("/\\");
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  const size_t dot = name.rfind('.');
  return dot == std::string::npos || dot == 0 ? name : name.substr(0, dot);
}

std::string size_text(const Size& s) { return std::to_string(s.width) + "x" + std::to_string(s.height); }

// Splits "k: v, k: "quoted, v", ..." into pairs.
std::vector<std::pair<std::string, std::string>> split_params(const std::string& line) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == ',')) ++i;
    size_t colon = line.find(':', i);
    if (colon == std::string::npos) break;
    std::string key = line.substr(i, colon - i);
    i = colon + 1;
    while (i < line.size() && line[i] == ' ') ++i;
    std::string value;
    if (i < line.size() && line[i] == '"') {
      size_t end = i + 1;
      while (end < line.size() && line[end] != '"') end += (line[end] == '\\') ? 2 : 1;
      try {
        value = nlohmann::json::parse(line.substr(i, end - i + 1)).get<std::string>();
      } catch (const std::exception&) {
        value = line.substr(i + 1, end - i - 1);
      }
      i = end + 1;
    } else {
      size_t comma = line.find(',', i);
      value = line.substr(i, comma == std::string::npos ? std::string::npos : comma - i);
      i = comma == std::string::npos ? line.size() : comma;
    }
    out.emplace_back(key, value);
  }
  return out;
}

}  // namespace

std::string model_display_name(const std::string& path) {
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  std::string name = p.substr(p.rfind('/') == std::string::npos ? 0 : p.rfind('/') + 1);
  const std::string ext = ".safetensors";
  if (name.size() > ext.size() && name.compare(name.size() - ext.size(), ext.size(), ext) == 0)
    name.resize(name.size() - ext.size());
  return name;
}

std::string a1111_sampler_name(const std::string& sampler) {
  for (const auto& s : kWebUiSamplerNames)
    if (sampler == s.ours) return s.a1111;
  return sampler;
}

std::string a1111_parameters(const GenerationRequest& r, uint64_t seed, const std::string& model_name) {
  std::ostringstream o;
  o << r.text.prompt << "\n";
  if (r.text.negative_prompt) o << "Negative prompt: " << *r.text.negative_prompt << "\n";
  o << "Steps: " << r.sampling.steps << ", Sampler: " << a1111_sampler_name(to_string(r.sampling.sampler));
  if (r.sampling.karras) o << ", Schedule type: Karras";
  o << ", CFG scale: " << format_number(r.sampling.cfg) << ", Seed: " << seed << ", Size: " << size_text(r.sampling.size)
    << ", Model: " << quote_if_needed(model_name);
  if (r.img2img.init_image) o << ", Denoising strength: " << format_number(r.img2img.strength);
  if (r.inpaint.mask_blur > 0) o << ", Mask blur: " << r.inpaint.mask_blur;
  if (r.hires.scale) {
    // The web UI's hires fields; its "Size" is the first pass's, as here.
    if (!r.img2img.init_image) o << ", Denoising strength: " << format_number(r.hires.strength);
    o << ", Hires upscale: " << format_number(*r.hires.scale);
    if (r.hires.steps) o << ", Hires steps: " << *r.hires.steps;
    o << ", Hires upscaler: " << quote_if_needed(enum_name(kHiresUpscalerWebUiNames, r.hires.upscaler));
  }
  if (r.sampling.guidance_rescale > 0) o << ", CFG Rescale phi: " << format_number(r.sampling.guidance_rescale);
  // Schedule settings that differ from SDXL 1.0's (sdxl-gen's own keys; `info` shows what a run used).
  if (r.sampling.timestep_spacing && *r.sampling.timestep_spacing != TimestepSpacing::Leading)
    o << ", Timestep spacing: " << to_string(*r.sampling.timestep_spacing);
  if (r.sampling.prediction_type && *r.sampling.prediction_type != PredictionType::Epsilon)
    o << ", Prediction type: " << to_string(*r.sampling.prediction_type);
  if (r.sampling.zero_terminal_snr.value_or(false)) o << ", Zero terminal SNR: True";
  // The web UI's LoRA record: file stem and the first 12 hex digits of the safetensors data hash
  // (AUTOMATIC1111 extensions-builtin/Lora: NetworkOnDisk.shorthash via hashes.addnet_hash_safetensors).
  std::string lora_hashes;
  for (const LoraSpec& l : r.adapters.loras)
    if (!l.webui_hash.empty()) lora_hashes += (lora_hashes.empty() ? "" : ", ") + file_stem(l.path) + ": " + l.webui_hash;
  if (!lora_hashes.empty()) o << ", Lora hashes: " << quote_if_needed(lora_hashes);
  // Image prompts, one field each in the shape of the web UI ControlNet extension's units (which is how
  // that UI runs IP-Adapters): model stem with a short hash, weight, and the image read. The full record
  // (paths, sha256s, encoder) is in the sdxl-gen chunk.
  for (size_t i = 0; i < r.adapters.ip_adapters.size(); ++i) {
    const IpAdapterSpec& a = r.adapters.ip_adapters[i];
    std::string unit = "Model: " + file_stem(a.path) + (a.sha256.empty() ? "" : " [" + a.sha256.substr(0, 8) + "]") +
                       ", Weight: " + format_number(a.scale) + ", Image: " + a.image;
    o << ", IP-Adapter " << i << ": " << quote_if_needed(unit);
  }
  // The web UI's ControlNet extension's record, one quoted unit per control ("ControlNet 0: \"Module: canny,
  // Model: NAME [hash], Weight: ...\""); the sdxl-gen chunk holds the paths and hashes that re-run it.
  for (size_t i = 0; i < r.adapters.controls.size(); ++i) {
    const ControlSpec& c = r.adapters.controls[i];
    const ControlPreprocess pre = parse_control_preprocess(c.preprocess, "control_preprocess");
    std::ostringstream u;
    u << "Module: " << (pre.canny ? "canny" : "none") << ", Model: " << model_display_name(c.model);
    if (!c.model_hash.empty()) u << " [" << c.model_hash << "]";
    u << ", Weight: " << format_number(c.scale) << ", Resize Mode: Just Resize";
    if (pre.canny) u << ", Threshold A: " << pre.thresholds.low << ", Threshold B: " << pre.thresholds.high;
    u << ", Guidance Start: " << format_number(c.start) << ", Guidance End: " << format_number(c.end)
      << ", Control Mode: " << (r.adapters.control_guess_mode ? "ControlNet is more important" : "Balanced");
    o << ", ControlNet " << i << ": " << quote_if_needed(u.str());
  }
  o << ", Version: sdxl-gen";
  return o.str();
}

GenerationRequest parse_a1111_parameters(const std::string& text, const GenerationRequest& base) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  size_t params_line = lines.size();
  for (size_t i = lines.size(); i-- > 0;)
    if (lines[i].rfind("Steps: ", 0) == 0) {
      params_line = i;
      break;
    }
  if (params_line == lines.size()) throw Error(ErrorCategory::Input, "", "PNG parameters text has no 'Steps: ...' line");
  GenerationRequest r = base;
  std::vector<std::string> prompt_lines, negative_lines;
  bool in_negative = false;
  for (size_t i = 0; i < params_line; ++i) {
    if (!in_negative && lines[i].rfind("Negative prompt: ", 0) == 0) {
      in_negative = true;
      negative_lines.push_back(lines[i].substr(17));
    } else {
      (in_negative ? negative_lines : prompt_lines).push_back(lines[i]);
    }
  }
  auto join = [](const std::vector<std::string>& v) {
    std::string out;
    for (size_t i = 0; i < v.size(); ++i) out += (i ? "\n" : "") + v[i];
    return out;
  };
  const std::string prompt = join(prompt_lines), negative = join(negative_lines);
  r.text.prompt = prompt;
  r.text.negative_prompt = in_negative ? std::optional<std::string>(negative) : std::nullopt;
  r.sampling.karras = false;
  std::string sampler;
  std::optional<double> denoising;
  for (const auto& [key, value] : split_params(lines[params_line])) {
    try {
      if (key == "Steps") r.sampling.steps = std::stoi(value);
      else if (key == "Sampler") sampler = value;
      else if (key == "Schedule type") r.sampling.karras = (value == "Karras");
      else if (key == "CFG scale") r.sampling.cfg = std::stod(value);
      else if (key == "Seed") r.sampling.seed = std::stoull(value);
      else if (key == "Denoising strength") denoising = std::stod(value);
      else if (key == "Mask blur") r.inpaint.mask_blur = std::stoi(value);
      else if (key == "Hires upscale") r.hires.scale = std::stod(value);
      else if (key == "Hires steps") r.hires.steps = std::stoi(value);
      else if (key == "Hires upscaler") {
        auto upscaler = find_enum(kHiresUpscalerWebUiNames, value);
        if (!upscaler) throw Error(ErrorCategory::Input, "", "unknown upscaler");
        r.hires.upscaler = *upscaler;
      }
      else if (key == "CFG Rescale phi") r.sampling.guidance_rescale = std::stod(value);
      else if (key == "Size") {
        auto x = value.find('x');
        if (x == std::string::npos) throw Error(ErrorCategory::Input, "", "bad size");
        r.sampling.size = Size{std::stoi(value.substr(x + 1)), std::stoi(value.substr(0, x))};
      }
    } catch (const std::exception&) {
      throw Error(ErrorCategory::Input, "", "PNG parameters: bad value for '" + key + "': " + value);
    }
  }
  // The web UI writes one "Denoising strength": img2img's, else the hires pass's.
  if (denoising) (r.hires.scale && !r.img2img.init_image ? r.hires.strength : r.img2img.strength) = *denoising;
  if (!sampler.empty()) {
    if (sampler.size() > 7 && sampler.compare(sampler.size() - 7, 7, " Karras") == 0) {
      r.sampling.karras = true;
      sampler.resize(sampler.size() - 7);
    }
    bool known = false;
    for (const auto& s : kWebUiSamplerNames)
      if (sampler == s.a1111) {
        r.sampling.sampler = parse_sampler(s.ours);
        known = true;
      }
    if (!known) throw Error(ErrorCategory::Input, "", "PNG parameters: sampler '" + sampler + "' is not supported by sdxl-gen");
  }
  return r;
}

// Keys of the `sdxl-gen` chunk that are not request fields.
constexpr const char* kProvenanceKeys[] = {"model", "model_hash", "refiner", "refiner_hash", "version", "embeddings_dir"};

nlohmann::json embeddings_json(const std::vector<EmbeddingUse>& embeddings) {
  nlohmann::json list = nlohmann::json::array();
  for (const EmbeddingUse& e : embeddings) list.push_back({{"name", e.name}, {"path", e.path}, {"sha256", e.sha256}});
  return list;
}

std::vector<std::pair<std::string, std::string>> png_text_chunks(const GenerationRequest& r, uint64_t seed,
                                                                 const Provenance& p) {
  GenerationRequest single = r;
  single.sampling.seed = seed;
  if (p.batch_image < 0) single.sampling.num_images = 1;
  nlohmann::json j = to_json(single);
  if (p.batch_image >= 0) j["batch_image"] = p.batch_image;
  const std::string* values[] = {&p.model, &p.model_hash, &p.refiner, &p.refiner_hash, &p.version, &p.embeddings_dir};
  for (size_t i = 0; i < std::size(kProvenanceKeys); ++i)
    if (!values[i]->empty()) j[kProvenanceKeys[i]] = *values[i];
  GenerationRequest shown = r;
  if (!p.written_prompt.empty()) shown.text.prompt = p.written_prompt;
  std::string params = a1111_parameters(shown, seed, model_display_name(p.model));
  if (!p.model_hash.empty()) params.insert(params.find(", Model: "), ", Model hash: " + p.model_hash);
  if (!p.version.empty()) params.replace(params.rfind(", Version: "), std::string::npos, ", Version: " + quote_if_needed(p.version));
  if (!p.refiner.empty()) params.insert(params.rfind(", Version: "), ", Refiner: " + quote_if_needed(model_display_name(p.refiner)));
  if (!p.embeddings.empty()) {
    // The web UI's textual-inversion record: NAME and the first 12 hex digits of the sha256 of the whole
    // embedding file (AUTOMATIC1111 textual_inversion Embedding.shorthash, written by sd_hijack_clip.py).
    std::string ti_hashes;
    for (const EmbeddingUse& e : p.embeddings)
      ti_hashes += (ti_hashes.empty() ? "" : ", ") + e.name + ": " + e.sha256.substr(0, 12);
    j["embeddings"] = embeddings_json(p.embeddings);
    params.insert(params.rfind(", Version: "), ", TI hashes: " + quote_if_needed(ti_hashes));
  }
  if (p.runtime.is_object()) {
    j["runtime"] = p.runtime;
    // The web UI records a swapped VAE as "VAE: <file name>"; the dtype is sdxl-gen's own key.
    if (p.runtime.contains("vae")) {
      const std::string vae = p.runtime["vae"].get<std::string>();
      params.insert(params.rfind(", Version: "), ", VAE: " + quote_if_needed(vae.substr(vae.find_last_of('/') + 1)));
    }
    if (p.runtime.contains("dtype"))
      params.insert(params.rfind(", Version: "), ", Dtype: " + p.runtime["dtype"].get<std::string>());
  }
  return {{"parameters", params}, {"sdxl-gen", j.dump()}};
}

std::vector<std::pair<std::string, std::string>> png_text_chunks(const GenerationRequest& r, uint64_t seed,
                                                                 const std::string& model_name) {
  Provenance p;
  p.model = model_name;
  return png_text_chunks(r, seed, p);
}

Provenance provenance_from_png_chunks(const std::vector<std::pair<std::string, std::string>>& chunks) {
  Provenance p;
  std::string* values[] = {&p.model, &p.model_hash, &p.refiner, &p.refiner_hash, &p.version, &p.embeddings_dir};
  for (const auto& [key, value] : chunks) {
    if (key != "sdxl-gen") continue;
    const nlohmann::json j = nlohmann::json::parse(value, nullptr, false);
    if (!j.is_object()) break;
    for (size_t i = 0; i < std::size(kProvenanceKeys); ++i)
      if (j.contains(kProvenanceKeys[i]) && j[kProvenanceKeys[i]].is_string())
        *values[i] = j[kProvenanceKeys[i]].get<std::string>();
    if (j.contains("runtime") && j["runtime"].is_object()) p.runtime = j["runtime"];
    if (j.contains("batch_image") && j["batch_image"].is_number_integer()) p.batch_image = j["batch_image"].get<int>();
    if (j.contains("embeddings") && j["embeddings"].is_array())
      for (const auto& e : j["embeddings"])
        if (e.is_object())
          p.embeddings.push_back({e.value("name", ""), e.value("path", ""), e.value("sha256", "")});
  }
  return p;
}

GenerationRequest request_from_png_chunks(const std::vector<std::pair<std::string, std::string>>& chunks,
                                          const std::string& path) {
  for (const auto& [key, value] : chunks)
    if (key == "sdxl-gen") {
      nlohmann::json j = nlohmann::json::parse(value, nullptr, false);
      if (j.is_discarded() || !j.is_object()) throw Error(ErrorCategory::Input, "", path + ": the sdxl-gen metadata chunk is not valid JSON");
      for (const char* key : kProvenanceKeys) j.erase(key);
      j.erase("runtime");
      j.erase("embeddings");
      j.erase("batch_image");
      try {
        return request_from_json(j, GenerationRequest{});
      } catch (const Error& e) {
        throw Error(ErrorCategory::Input, "", path + ": sdxl-gen metadata: " + e.what());
      }
    }
  for (const auto& [key, value] : chunks)
    if (key == "parameters") {
      try {
        return parse_a1111_parameters(value, GenerationRequest{});
      } catch (const Error& e) {
        throw Error(ErrorCategory::Input, "", path + ": " + e.what());
      }
    }
  throw Error(ErrorCategory::Input, "", path + ": no generation parameters recorded (no 'sdxl-gen' or 'parameters' text chunk)");
}

}  // namespace sdxl
