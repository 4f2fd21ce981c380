#include "server/openai_api.h"

#include <chrono>

#include "batch/plan.h"
#include "common/error.h"
#include "common/strings.h"
#include "server/wire.h"

namespace sdxl::server {
namespace {

long long now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// OpenAI's own model names stand for the loaded checkpoint: clients (chat front ends) send them by default.
bool openai_model_name(const std::string& m) { return starts_with(m, "dall-e") || starts_with(m, "gpt-image"); }

Size parse_wh(const std::string& text, const RequestLimits& limits) {
  const auto x = text.find('x');
  int w = 0, h = 0;
  try {
    if (x == std::string::npos || text.find_first_not_of("0123456789x") != std::string::npos) throw 0;
    w = std::stoi(text.substr(0, x));
    h = std::stoi(text.substr(x + 1));
  } catch (...) {
    throw WireError(400, "size", "expected WIDTHxHEIGHT (e.g. 1024x1024), got '" + text + "'");
  }
  if (w < 8 || h < 8 || w > limits.max_side || h > limits.max_side)
    throw WireError(400, "size", "each side must be in 8.." + std::to_string(limits.max_side) + ", got '" + text + "'");
  return Size{h, w};
}

// The fields generations and edits share.
OpenaiRequest map_openai(const nlohmann::json& b, const GenerationRequest& model_defaults, const RequestLimits& limits,
                         const std::vector<Checkpoint>& checkpoints, std::optional<Size>* size) {
  OpenaiRequest out;
  GenerationRequest& r = out.job.request;
  r = model_defaults;  // the CLI without flags: the model's sampler, 30 steps, CFG 5
  const auto prompt = opt_string(b, "prompt");
  if (!prompt || prompt->empty()) throw WireError(400, "prompt", "is required");
  r.text.prompt = *prompt;
  if (auto neg = opt_string(b, "negative_prompt")) r.text.negative_prompt = *neg;
  check_lora_tags(r.text.prompt, "prompt");
  if (r.text.negative_prompt) check_lora_tags(*r.text.negative_prompt, "negative_prompt");
  if (auto model = opt_string(b, "model"); model && !model->empty() && !openai_model_name(*model)) {
    bool known = false;
    for (const auto& c : checkpoints) known = known || c.name == *model;
    if (!known) throw WireError(404, "model", "The model '" + *model + "' does not exist (see GET /v1/models)");
    out.job.checkpoint = *model;
  }
  out.job.count = static_cast<int>(opt_int(b, "n", 1, limits.max_images).value_or(1));
  const auto size_text = opt_string(b, "size");
  if (size_text && *size_text != "auto") *size = parse_wh(*size_text, limits);
  const std::string format = opt_string(b, "response_format").value_or("b64_json");
  if (format != "b64_json" && format != "url")
    throw WireError(400, "response_format", "expected b64_json or url, got '" + format + "'");
  out.url = format == "url";
  if (out.url && !limits.has_save_dir)
    throw WireError(400, "response_format", "url needs the server started with --save-dir; use b64_json");
  const long long seed = opt_int(b, "seed", -1, (1LL << 53) - 1).value_or(-1);
  r.sampling.seed = seed < 0 ? batch::random_seed() % (1ULL << 32) : static_cast<uint64_t>(seed);
  if (auto steps = opt_int(b, "steps", 1, limits.max_steps)) r.sampling.steps = static_cast<int>(*steps);
  if (auto cfg = opt_number(b, "cfg_scale", 0, 100)) r.sampling.cfg = *cfg;
  if (auto sampler = opt_string(b, "sampler")) {
    try {
      r.sampling.sampler = parse_sampler(*sampler);
    } catch (const Error& e) {
      throw WireError(400, "sampler", e.detail());
    }
  }
  return out;
}

void check_openai(const GenerationRequest& r) {
  try {
    validate(r);
  } catch (const Error& e) {
    throw WireError(400, e.field() == "cfg" ? "cfg_scale" : e.field(), e.detail());
  }
}

}  // namespace

OpenaiRequest openai_generation(const nlohmann::json& b, const GenerationRequest& model_defaults,
                                const RequestLimits& limits, const std::vector<Checkpoint>& checkpoints) {
  std::optional<Size> size;
  OpenaiRequest out = map_openai(b, model_defaults, limits, checkpoints, &size);
  out.job.request.sampling.size = size.value_or(Size{1024, 1024});
  if (out.job.request.sampling.size.width > limits.max_side || out.job.request.sampling.size.height > limits.max_side)
    throw WireError(400, "size", "the default 1024x1024 exceeds this server's limit of " + std::to_string(limits.max_side));
  check_openai(out.job.request);
  return out;
}

OpenaiRequest openai_edit(const nlohmann::json& b, const std::string& image_bytes, const std::optional<std::string>& mask_bytes,
                          const GenerationRequest& model_defaults, const RequestLimits& limits,
                          const std::vector<Checkpoint>& checkpoints) {
  std::optional<Size> size;
  OpenaiRequest out = map_openai(b, model_defaults, limits, checkpoints, &size);
  GenerationRequest& r = out.job.request;
  io::Image image = decode_image(image_bytes, "image");
  std::optional<io::Image> mask = mask_bytes ? alpha_mask(*mask_bytes, "mask") : alpha_mask(image_bytes, "image");
  if (mask_bytes && !mask) throw WireError(400, "mask", "must be a PNG with an alpha channel (transparent = repaint)");
  if (size) image = resize_image(image, size->width, size->height, 0);
  if (image.width > limits.max_side || image.height > limits.max_side)
    throw WireError(400, "image", "is larger than " + std::to_string(limits.max_side) + " pixels a side");
  r.sampling.size = Size{image.height, image.width};
  attach_upload(r, r.img2img.init_image, "image", image);
  if (mask) {
    if (mask->width != image.width || mask->height != image.height) *mask = resize_image(*mask, image.width, image.height, 0);
    attach_upload(r, r.inpaint.mask, "mask", *mask);
    r.img2img.strength = kInpaintStrength;
    r.inpaint.keep_unmasked = true;  // OpenAI edits change only the transparent area
  } else {
    r.img2img.strength = opt_number(b, "strength", 0.0, 1.0).value_or(0.75);
    out.job.notes.push_back("no transparent pixels to repaint: ran img2img on the whole image");
  }
  check_openai(r);
  return out;
}

nlohmann::json openai_form_value(const std::string& key, const std::string& value) {
  static const char* ints[] = {"n", "seed", "steps"};
  static const char* numbers[] = {"cfg_scale", "strength"};
  for (const char* k : ints)
    if (key == k) {
      try {
        size_t used = 0;
        const long long v = std::stoll(value, &used);
        if (used == value.size()) return v;
      } catch (...) {
      }
      throw WireError(400, key, "expected an integer, got '" + value + "'");
    }
  for (const char* k : numbers)
    if (key == k) {
      try {
        size_t used = 0;
        const double v = std::stod(value, &used);
        if (used == value.size()) return v;
      } catch (...) {
      }
      throw WireError(400, key, "expected a number, got '" + value + "'");
    }
  return value;
}

nlohmann::json openai_response(const JobResult& result, const std::vector<std::string>& urls) {
  nlohmann::json data = nlohmann::json::array();
  for (size_t i = 0; i < result.images.size(); ++i) {
    if (i < urls.size()) data.push_back({{"url", urls[i]}, {"revised_prompt", nullptr}});
    else data.push_back({{"b64_json", base64_encode(result.images[i].png)}, {"revised_prompt", nullptr}});
  }
  return {{"created", now_s()}, {"data", data}};
}

nlohmann::json openai_error(int status, const std::string& message, const std::string& param) {
  const char* type = status == 401 ? "authentication_error"
                     : status == 404 ? "invalid_request_error"
                     : status == 429 || status == 503 ? "server_busy"
                     : status >= 500 ? "server_error" : "invalid_request_error";
  const char* code = status == 401 ? "invalid_api_key" : status == 404 && param == "model" ? "model_not_found" : nullptr;
  return {{"error", {{"message", message}, {"type", type}, {"param", param.empty() ? nlohmann::json(nullptr) : nlohmann::json(param)},
                     {"code", code ? nlohmann::json(code) : nlohmann::json(nullptr)}}}};
}

nlohmann::json openai_models(const std::vector<Checkpoint>& checkpoints) {
  nlohmann::json data = nlohmann::json::array();
  for (const auto& c : checkpoints) data.push_back({{"id", c.name}, {"object", "model"}, {"created", 0}, {"owned_by", "sdxl-gen"}});
  return {{"object", "list"}, {"data", data}};
}

}  // namespace sdxl::server
