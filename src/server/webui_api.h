// The AUTOMATIC1111 web UI's HTTP API (modules/api/models.py, api.py), the subset its clients call: request
// bodies -> Jobs with the web UI API's own defaults, results and lists in its shapes. The tables below are
// the documented mapping (README "Server").
#pragma once
#include <nlohmann/json.hpp>

#include <array>
#include <string>
#include <vector>

#include "common/enum_table.h"
#include "server/engine.h"
#include "server/job_queue.h"

namespace sdxl::server {

// sampler_name (case-insensitive; "<name> Karras" also sets the Karras schedule, as older web UIs named it).
struct WebuiSampler {
  const char* name;
  SamplerKind kind;
};
inline constexpr std::array<WebuiSampler, 5> kWebuiSamplers{{{"Euler", SamplerKind::Euler},
                                                             {"Euler a", SamplerKind::EulerAncestral},
                                                             {"DDIM", SamplerKind::DDIM},
                                                             {"DPM++ 2M", SamplerKind::DPMPP2M},
                                                             {"LCM", SamplerKind::LCM}}};
// scheduler: Automatic = the model's own scheduler configuration (the CLI without flags), Karras = --karras,
// SGM Uniform = --timestep-spacing sgm_uniform. name is the web UI's id, label its display name.
enum class WebuiScheduler { Automatic, Karras, SgmUniform };
struct WebuiSchedulerName {
  WebuiScheduler value;
  const char* name;
  const char* label;
};
inline constexpr std::array<WebuiSchedulerName, 3> kWebuiSchedulers{{{WebuiScheduler::Automatic, "automatic", "Automatic"},
                                                                     {WebuiScheduler::Karras, "karras", "Karras"},
                                                                     {WebuiScheduler::SgmUniform, "sgm_uniform", "SGM Uniform"}}};
// hr_upscaler: the web UI's latent upscalers and Lanczos.
inline constexpr std::array<EnumName<HiresUpscaler>, 4> kWebuiUpscalers{{{HiresUpscaler::Latent, "Latent"},
                                                                        {HiresUpscaler::LatentNearestExact, "Latent (nearest-exact)"},
                                                                        {HiresUpscaler::LatentBicubic, "Latent (bicubic)"},
                                                                        {HiresUpscaler::Lanczos, "Lanczos"}}};

// Limits the server puts on one request (README "Server", security notes).
struct RequestLimits {
  int max_side = 4096;    // width, height
  int max_images = 64;    // batch_size * n_iter, OpenAI n
  int max_steps = 1000;
  bool has_refiner = false;
  bool has_save_dir = false;
};

// A mapped web-UI request: the job, the request as understood (the response's "parameters"), and what to do
// with the images.
struct WebuiRequest {
  Job job;
  nlohmann::json parameters;
  bool send_images = true, save_images = false;
};

// /sdapi/v1/txt2img and /sdapi/v1/img2img bodies. Throws WireError (400/422 naming the field).
WebuiRequest webui_txt2img(const nlohmann::json& body, const GenerationRequest& model_defaults, const RequestLimits& limits);
WebuiRequest webui_img2img(const nlohmann::json& body, const GenerationRequest& model_defaults, const RequestLimits& limits);
// {"images", "parameters", "info"}; `saved` names the files written into --save-dir (in info).
nlohmann::json webui_response(const WebuiRequest& request, const JobResult& result, const std::string& model_name);

// The web UI's error body {"error", "detail", "body", "errors"}.
nlohmann::json webui_error(int status, const std::string& detail);

// GET lists.
nlohmann::json webui_samplers();
nlohmann::json webui_schedulers();
nlohmann::json webui_upscalers();
nlohmann::json webui_latent_upscale_modes();
nlohmann::json webui_sd_models(const std::vector<Checkpoint>& checkpoints);
nlohmann::json webui_loras(const std::string& lora_dir);
nlohmann::json webui_embeddings(const std::string& embeddings_dir);
nlohmann::json webui_progress(const ProgressSnapshot& p);
// /sdapi/v1/png-info: {"image": base64} -> {"info", "items", "parameters"}.
nlohmann::json webui_png_info(const nlohmann::json& body);

}  // namespace sdxl::server
