// The OpenAI images API (openai-python's images.generate / images.edit; the shapes of its ImagesResponse and
// error objects) onto Jobs. Besides OpenAI's fields a body may carry sdxl-gen extras: seed, steps,
// cfg_scale, negative_prompt, sampler (sdxl-gen names), strength (edits without a mask).
#pragma once
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "server/engine.h"
#include "server/job_queue.h"
#include "server/webui_api.h"

namespace sdxl::server {

struct OpenaiRequest {
  Job job;
  bool url = false;  // response_format "url" (served from /outputs/ in --save-dir) instead of b64_json
};

// /v1/images/generations (JSON body). Throws WireError (the status; OpenAI's "param" is the field).
OpenaiRequest openai_generation(const nlohmann::json& body, const GenerationRequest& model_defaults,
                                const RequestLimits& limits, const std::vector<Checkpoint>& checkpoints);
// /v1/images/edits: the multipart text fields as a JSON object (numbers converted), the image and the optional
// mask (PNG bytes). Transparent pixels (of the mask, else of the image) are repainted.
OpenaiRequest openai_edit(const nlohmann::json& fields, const std::string& image, const std::optional<std::string>& mask,
                          const GenerationRequest& model_defaults, const RequestLimits& limits,
                          const std::vector<Checkpoint>& checkpoints);
// Multipart text field -> JSON value: integers and numbers for the numeric fields, strings otherwise.
nlohmann::json openai_form_value(const std::string& key, const std::string& value);

// {"created", "data": [{"b64_json" | "url", "revised_prompt"}]}; `urls` when the request asked for them.
nlohmann::json openai_response(const JobResult& result, const std::vector<std::string>& urls);
// {"error": {"message", "type", "param", "code"}}
nlohmann::json openai_error(int status, const std::string& message, const std::string& param = "");
nlohmann::json openai_models(const std::vector<Checkpoint>& checkpoints);

}  // namespace sdxl::server
