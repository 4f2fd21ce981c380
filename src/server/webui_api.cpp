#include "server/webui_api.h"

#include <chrono>
#include <filesystem>

#include "adapters/folder_files.h"
#include "batch/plan.h"
#include "common/error.h"
#include "common/strings.h"
#include "pipeline/png_metadata.h"
#include "server/wire.h"

namespace sdxl::server {
namespace {

// Our request fields as the web UI names them, for errors validate() raises after the mapping.
std::string webui_field(const std::string& field) {
  static const std::pair<const char*, const char*> names[] = {
      {"size", "width/height"},     {"cfg", "cfg_scale"},         {"strength", "denoising_strength"},
      {"hires_scale", "hr_scale"},  {"hires_steps", "hr_second_pass_steps"}, {"hires_strength", "denoising_strength"},
      {"sampler", "sampler_name"},  {"karras", "scheduler"},      {"timestep_spacing", "scheduler"},
      {"high_noise_frac", "refiner_switch_at"}, {"inpaint_padding", "inpaint_full_res_padding"},
      {"init_image", "init_images"}, {"mask", "mask"}};
  for (const auto& [ours, theirs] : names)
    if (field == ours) return theirs;
  return field;
}

std::string names_list(bool samplers) {
  std::string s;
  if (samplers)
    for (const auto& e : kWebuiSamplers) s += (s.empty() ? "" : ", ") + std::string(e.name);
  else
    for (const auto& e : kWebuiSchedulers) s += (s.empty() ? "" : ", ") + std::string(e.label);
  return s;
}

void set_sampler(GenerationRequest& r, const std::string& given, const char* field) {
  std::string name = ascii_lower(given);
  if (ends_with(name, " karras")) {
    name.resize(name.size() - 7);
    r.sampling.karras = true;
  }
  for (const auto& e : kWebuiSamplers)
    if (name == ascii_lower(e.name)) {
      r.sampling.sampler = e.kind;
      return;
    }
  throw WireError(422, field, "unknown sampler '" + given + "' (valid: " + names_list(true) + ")");
}

void set_scheduler(GenerationRequest& r, const std::string& given, const GenerationRequest& model_defaults) {
  const std::string name = ascii_lower(given);
  for (const auto& e : kWebuiSchedulers)
    if (name == e.name || name == ascii_lower(e.label)) {
      switch (e.value) {
        case WebuiScheduler::Automatic: r.sampling.karras = r.sampling.karras || model_defaults.sampling.karras; break;
        case WebuiScheduler::Karras: r.sampling.karras = true; break;
        case WebuiScheduler::SgmUniform: r.sampling.timestep_spacing = TimestepSpacing::SgmUniform; break;
      }
      return;
    }
  throw WireError(422, "scheduler", "unknown scheduler '" + given + "' (valid: " + names_list(false) + ")");
}

std::string sampler_label(const GenerationRequest& r) {
  for (const auto& e : kWebuiSamplers)
    if (e.kind == r.sampling.sampler) return e.name;
  return to_string(r.sampling.sampler);
}

// The fields txt2img and img2img share (StableDiffusionProcessing), with the web UI API's defaults.
void map_webui(const nlohmann::json& b, const GenerationRequest& model_defaults, const RequestLimits& limits,
                WebuiRequest& out) {
  GenerationRequest& r = out.job.request;
  r = GenerationRequest{};
  r.text.prompt_syntax = PromptSyntaxMode::A1111;  // the web UI's (word:1.2), [word], BREAK
  r.text.long_prompt = LongPrompt::Chunk;          // and its 75-token chunks for long prompts
  r.text.prompt = opt_string(b, "prompt").value_or("");
  r.text.negative_prompt = opt_string(b, "negative_prompt").value_or("");
  check_lora_tags(r.text.prompt, "prompt");
  check_lora_tags(*r.text.negative_prompt, "negative_prompt");
  const long long seed = opt_int(b, "seed", -1, (1LL << 53) - 1).value_or(-1);
  r.sampling.seed = seed < 0 ? batch::random_seed() % (1ULL << 32) : static_cast<uint64_t>(seed);
  r.sampling.steps = static_cast<int>(opt_int(b, "steps", 1, limits.max_steps).value_or(50));
  r.sampling.cfg = opt_number(b, "cfg_scale", 0, 100).value_or(7.0);
  r.sampling.size.width = static_cast<int>(opt_int(b, "width", 8, limits.max_side).value_or(512));
  r.sampling.size.height = static_cast<int>(opt_int(b, "height", 8, limits.max_side).value_or(512));
  if (r.sampling.size.width > limits.max_side || r.sampling.size.height > limits.max_side)  // the defaults too (fuzz finding)
    throw WireError(422, "width", "the default 512x512 exceeds this server's limit of " + std::to_string(limits.max_side));
  // webuiapi sends both; sampler_name wins (the web UI's own rule), sampler_index is the old name.
  const auto sampler = opt_string(b, "sampler_name"), index = opt_string(b, "sampler_index");
  if (sampler && !sampler->empty()) set_sampler(r, *sampler, "sampler_name");
  else if (index && !index->empty()) set_sampler(r, *index, "sampler_index");
  else r.sampling.sampler = SamplerKind::Euler;
  const std::string scheduler = opt_string(b, "scheduler").value_or("");
  set_scheduler(r, scheduler.empty() ? "Automatic" : scheduler, model_defaults);
  const long long batch = opt_int(b, "batch_size", 1, limits.max_images).value_or(1);
  const long long iters = opt_int(b, "n_iter", 1, limits.max_images).value_or(1);
  if (batch * iters > limits.max_images)
    throw WireError(422, "batch_size", "batch_size x n_iter = " + std::to_string(batch * iters) + " images; at most " +
                                           std::to_string(limits.max_images) + " per request");
  out.job.count = static_cast<int>(batch * iters);
  const auto refiner = opt_string(b, "refiner_checkpoint");
  if (refiner && !refiner->empty() && ascii_lower(*refiner) != "none") {
    if (!limits.has_refiner) throw WireError(422, "refiner_checkpoint", "no refiner is loaded (start the server with --refiner)");
    r.refiner.mode = RefinerMode::Expert;
    r.refiner.high_noise_frac = opt_number(b, "refiner_switch_at", 0.01, 0.99).value_or(0.8);
  }
  if (b.contains("override_settings") && !b["override_settings"].is_null()) {
    const auto& o = b["override_settings"];
    if (!o.is_object()) throw WireError(422, "override_settings", "expected an object");
    if (auto ckpt = opt_string(o, "sd_model_checkpoint")) {
      // Web-UI titles are "name [hash]": the name is what the server knows.
      std::string name = *ckpt;
      const auto bracket = name.find(" [");
      if (bracket != std::string::npos) name.resize(bracket);
      out.job.checkpoint = name;
    }
    if (auto vae = opt_string(o, "sd_vae"))
      if (!vae->empty() && ascii_lower(*vae) != "automatic" && ascii_lower(*vae) != "none")
        throw WireError(422, "override_settings.sd_vae", "the VAE is chosen when the server starts (--vae); only Automatic");
  }
  out.send_images = opt_bool(b, "send_images").value_or(true);
  out.save_images = opt_bool(b, "save_images").value_or(false);
  if (out.save_images && !limits.has_save_dir)
    throw WireError(422, "save_images", "the server has no --save-dir to save into");
}

void check_webui(const GenerationRequest& r) {
  try {
    validate(r);
  } catch (const Error& e) {
    throw WireError(422, webui_field(e.field()), e.detail());
  }
}

nlohmann::json parameters_json(const WebuiRequest& w) {
  const GenerationRequest& r = w.job.request;
  nlohmann::json p = {{"prompt", r.text.prompt},
                      {"negative_prompt", r.text.negative_prompt.value_or("")},
                      {"seed", *r.sampling.seed},
                      {"steps", r.sampling.steps},
                      {"cfg_scale", r.sampling.cfg},
                      {"width", r.sampling.size.width},
                      {"height", r.sampling.size.height},
                      {"sampler_name", sampler_label(r)},
                      {"scheduler", r.sampling.timestep_spacing ? "SGM Uniform" : r.sampling.karras ? "Karras" : "Automatic"},
                      {"batch_size", w.job.count},
                      {"n_iter", 1},
                      {"send_images", w.send_images},
                      {"save_images", w.save_images}};
  if (!w.job.checkpoint.empty()) p["override_settings"] = {{"sd_model_checkpoint", w.job.checkpoint}};
  p["sdxl_gen"] = to_json(r);  // the request exactly as the engine runs it (its seed is the first image's)
  return p;
}

}  // namespace

WebuiRequest webui_txt2img(const nlohmann::json& b, const GenerationRequest& model_defaults, const RequestLimits& limits) {
  WebuiRequest out;
  map_webui(b, model_defaults, limits, out);
  GenerationRequest& r = out.job.request;
  if (opt_bool(b, "enable_hr").value_or(false)) {
    r.hires.scale = opt_number(b, "hr_scale", 1.0, 4.0).value_or(2.0);
    const long long hr_steps = opt_int(b, "hr_second_pass_steps", 0, limits.max_steps).value_or(0);
    if (hr_steps > 0) r.hires.steps = static_cast<int>(hr_steps);
    r.hires.strength = opt_number(b, "denoising_strength", 0.0, 1.0).value_or(0.75);
    if (auto up = opt_string(b, "hr_upscaler"); up && !up->empty()) {
      bool found = false;
      std::string valid;
      for (const auto& e : kWebuiUpscalers) {
        valid += (valid.empty() ? "" : ", ") + std::string(e.name);
        if (ascii_lower(*up) == ascii_lower(e.name)) r.hires.upscaler = e.value, found = true;
      }
      if (!found) throw WireError(422, "hr_upscaler", "unknown upscaler '" + *up + "' (valid: " + valid + ")");
    }
    if (r.hires.scale && (r.sampling.size.width * *r.hires.scale > limits.max_side || r.sampling.size.height * *r.hires.scale > limits.max_side))
      throw WireError(422, "hr_scale", "the second pass would exceed " + std::to_string(limits.max_side) + " pixels a side");
  }
  check_webui(r);
  out.parameters = parameters_json(out);
  return out;
}

WebuiRequest webui_img2img(const nlohmann::json& b, const GenerationRequest& model_defaults, const RequestLimits& limits) {
  WebuiRequest out;
  map_webui(b, model_defaults, limits, out);
  GenerationRequest& r = out.job.request;
  auto it = b.find("init_images");
  if (it == b.end() || it->is_null() || !it->is_array() || it->empty() || !(*it)[0].is_string())
    throw WireError(422, "init_images", "is required: a list with one base64 PNG or JPEG");
  if (it->size() > 1) out.job.notes.push_back("init_images: only the first image is used");
  const long long resize_mode = opt_int(b, "resize_mode", 0, 3).value_or(0);
  if (resize_mode == 3) throw WireError(422, "resize_mode", "3 (latent upscale) is not supported; use 0, 1 or 2");
  io::Image init = decode_image(base64_decode((*it)[0].get<std::string>(), "init_images"), "init_images");
  r.img2img.strength = opt_number(b, "denoising_strength", 0.0, 1.0).value_or(0.75);
  const auto mask_text = opt_string(b, "mask");
  std::optional<io::Image> mask;
  if (mask_text && !mask_text->empty()) {
    mask = decode_image(base64_decode(*mask_text, "mask"), "mask");
    if (opt_int(b, "inpainting_mask_invert", 0, 1).value_or(0) == 1)
      for (auto& v : mask->rgb) v = static_cast<uint8_t>(255 - v);
    r.inpaint.mask_blur = static_cast<int>(opt_int(b, "mask_blur", 0, 64).value_or(4));
    r.inpaint.full_res = opt_bool(b, "inpaint_full_res").value_or(true);
    r.inpaint.padding = static_cast<int>(opt_int(b, "inpaint_full_res_padding", 0, 1024).value_or(0));
    // The web UI composites the original back outside the mask (its apply_overlay).
    r.inpaint.keep_unmasked = true;
    // inpainting_fill 0 fill, 1 original, 2 latent noise, 3 latent nothing (the web UI's order; its API's
    // default, and the webuiapi client's, is 0).
    constexpr MaskedContent kFill[] = {MaskedContent::Fill, MaskedContent::Original, MaskedContent::LatentNoise,
                                       MaskedContent::LatentNothing};
    r.inpaint.masked_content = kFill[opt_int(b, "inpainting_fill", 0, 3).value_or(0)];
    // "Only masked" works on the image at its own size; otherwise image and mask take the requested size.
    if (!r.inpaint.full_res) init = resize_image(init, r.sampling.size.width, r.sampling.size.height, static_cast<int>(resize_mode));
    if (mask->width != init.width || mask->height != init.height) mask = resize_image(*mask, init.width, init.height, 0);
  } else {
    init = resize_image(init, r.sampling.size.width, r.sampling.size.height, static_cast<int>(resize_mode));
  }
  if (init.width > limits.max_side || init.height > limits.max_side)
    throw WireError(422, "init_images", "is larger than " + std::to_string(limits.max_side) + " pixels a side");
  if (!r.inpaint.full_res || !mask) r.sampling.size = Size{init.height, init.width};
  attach_upload(r, r.img2img.init_image, "init_images", init);
  if (mask) attach_upload(r, r.inpaint.mask, "mask", *mask);
  check_webui(r);
  out.parameters = parameters_json(out);
  out.parameters["denoising_strength"] = r.img2img.strength;
  return out;
}

nlohmann::json webui_response(const WebuiRequest& w, const JobResult& result, const std::string& model_name) {
  const GenerationRequest& r = w.job.request;
  nlohmann::json images = nlohmann::json::array(), infotexts = nlohmann::json::array(), seeds = nlohmann::json::array();
  for (const auto& im : result.images) {
    if (w.send_images) images.push_back(base64_encode(im.png));
    infotexts.push_back(im.parameters);
  }
  for (int i = 0; i < w.job.count; ++i) seeds.push_back(*r.sampling.seed + static_cast<uint64_t>(i));
  nlohmann::json prompts = nlohmann::json::array(), negatives = nlohmann::json::array();
  for (int i = 0; i < w.job.count; ++i) prompts.push_back(r.text.prompt), negatives.push_back(r.text.negative_prompt.value_or(""));
  nlohmann::json info = {
      {"prompt", r.text.prompt},
      {"all_prompts", prompts},
      {"negative_prompt", r.text.negative_prompt.value_or("")},
      {"all_negative_prompts", negatives},
      {"seed", *r.sampling.seed},
      {"all_seeds", seeds},
      {"subseed", -1},
      {"all_subseeds", nlohmann::json::array()},
      {"subseed_strength", 0},
      {"width", r.sampling.size.width},
      {"height", r.sampling.size.height},
      {"sampler_name", sampler_label(r)},
      {"cfg_scale", r.sampling.cfg},
      {"steps", r.sampling.steps},
      {"batch_size", w.job.count},
      {"restore_faces", false},
      {"face_restoration_model", nullptr},
      {"sd_model_name", model_name},
      {"sd_model_hash", nullptr},
      {"sd_vae_name", nullptr},
      {"sd_vae_hash", nullptr},
      {"seed_resize_from_w", -1},
      {"seed_resize_from_h", -1},
      {"denoising_strength", r.img2img.init_image ? nlohmann::json(r.img2img.strength) : r.hires.scale ? nlohmann::json(r.hires.strength) : nlohmann::json(nullptr)},
      {"extra_generation_params", nlohmann::json::object()},
      {"index_of_first_image", 0},
      {"infotexts", infotexts},
      {"styles", nlohmann::json::array()},
      {"job_timestamp", std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                           std::chrono::system_clock::now().time_since_epoch()).count())},
      {"clip_skip", 1},
      {"is_using_inpainting_conditioning", false},
      {"version", "sdxl-gen"},
      {"sdxl_gen", {{"admitted", result.admitted}, {"started", result.started}, {"interrupted", result.interrupted},
                    {"skipped", result.skipped}, {"notes", result.warnings}}}};
  return {{"images", images}, {"parameters", w.parameters}, {"info", info.dump()}};
}

nlohmann::json webui_error(int status, const std::string& detail) {
  return {{"error", status == 422 ? "ValidationError" : "HTTPException"}, {"detail", detail}, {"body", ""}, {"errors", ""}};
}

nlohmann::json webui_samplers() {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& e : kWebuiSamplers)
    list.push_back({{"name", e.name}, {"aliases", nlohmann::json::array({to_string(e.kind)})}, {"options", nlohmann::json::object()}});
  return list;
}

nlohmann::json webui_schedulers() {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& e : kWebuiSchedulers)
    list.push_back({{"name", e.name}, {"label", e.label}, {"aliases", nullptr}, {"default_rho", -1}, {"need_inner_model", false}});
  return list;
}

nlohmann::json webui_upscalers() {
  nlohmann::json list = nlohmann::json::array();
  list.push_back({{"name", "None"}, {"model_name", nullptr}, {"model_path", nullptr}, {"model_url", nullptr}, {"scale", 4}});
  list.push_back({{"name", "Lanczos"}, {"model_name", nullptr}, {"model_path", nullptr}, {"model_url", nullptr}, {"scale", 4}});
  return list;
}

nlohmann::json webui_latent_upscale_modes() {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& e : kWebuiUpscalers)
    if (e.value != HiresUpscaler::Lanczos) list.push_back({{"name", e.name}});
  return list;
}

nlohmann::json webui_sd_models(const std::vector<Checkpoint>& checkpoints) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& c : checkpoints)
    list.push_back({{"title", c.name}, {"model_name", c.name}, {"hash", nullptr}, {"sha256", nullptr},
                    {"filename", std::filesystem::path(c.path).filename().string()}, {"config", nullptr}});
  return list;
}

nlohmann::json webui_loras(const std::string& lora_dir) {
  nlohmann::json list = nlohmann::json::array();
  if (lora_dir.empty()) return list;
  for (const auto& p : safetensors_files_under(lora_dir)) {
    const std::string name = p.stem().string();
    std::string path = p.string();  // relative to --lora-dir: the server does not tell where its folders are
    if (starts_with(path, lora_dir)) path = path.substr(lora_dir.size() + (ends_with(lora_dir, "/") ? 0 : 1));
    list.push_back({{"name", name}, {"alias", name}, {"path", path},
                    {"metadata", nlohmann::json::object()}});
  }
  return list;
}

nlohmann::json webui_embeddings(const std::string& embeddings_dir) {
  nlohmann::json loaded = nlohmann::json::object();
  if (!embeddings_dir.empty())
    for (const auto& p : safetensors_files_under(embeddings_dir))
      loaded[p.stem().string()] = {{"step", nullptr}, {"sd_checkpoint", nullptr}, {"sd_checkpoint_name", nullptr},
                                   {"shape", nullptr}, {"vectors", nullptr}};
  return {{"loaded", loaded}, {"skipped", nlohmann::json::object()}};
}

nlohmann::json webui_progress(const ProgressSnapshot& p) {
  return {{"progress", p.progress},
          {"eta_relative", p.eta_relative},
          {"state",
           {{"skipped", p.skipped}, {"interrupted", p.interrupted}, {"stopping_generation", false},
            {"job", p.busy ? "job " + std::to_string(p.job_id) : ""}, {"job_count", p.busy ? p.job_count : 0},
            {"job_timestamp", "0"}, {"job_no", p.job_no}, {"sampling_step", p.sampling_step},
            {"sampling_steps", p.sampling_steps}}},
          {"current_image", p.current_image.empty() ? nlohmann::json(nullptr) : nlohmann::json(base64_encode(p.current_image))},
          {"textinfo", p.busy ? p.stage + " step " + std::to_string(p.sampling_step) + "/" + std::to_string(p.sampling_steps) +
                                    ", image " + std::to_string(p.job_no + 1) + "/" + std::to_string(p.job_count)
                              : ""}};
}

nlohmann::json webui_png_info(const nlohmann::json& body) {
  const auto image = opt_string(body, "image");
  if (!image || image->empty()) throw WireError(422, "image", "is required (base64 PNG)");
  io::PngText text;
  try {
    io::decode_png(base64_decode(*image, "image"), "image", &text);
  } catch (const Error& e) {
    throw WireError(400, "image", std::string("is not a PNG image that can be read (") + e.detail() + ")");
  }
  nlohmann::json items = nlohmann::json::object();
  std::string info;
  for (const auto& [key, value] : text) {
    if (key == "parameters") info = value;
    else items[key] = value;
  }
  return {{"info", info}, {"items", items}, {"parameters", nlohmann::json::object()}};
}

}  // namespace sdxl::server
