// Fuzz target: the request mapping of `sdxl-gen serve` (src/server/: wire.h, webui_api.h, openai_api.h), the
// code every HTTP body reaches before anything is queued. The first byte picks the endpoint:
//   0 /sdapi/v1/txt2img   1 /sdapi/v1/img2img   2 /v1/images/generations   3 /sdapi/v1/png-info
//   4 /v1/images/edits (the rest is "FIELDS-JSON\n" + image bytes)   5 a multipart text field "KEY=VALUE"
// The rest is the body. A body is either refused with a WireError of status 400, 404 or 422 (never another
// exception, never a crash), or mapped onto a job that respects the limits: 1..max_images images, sides
// within max_side, steps within max_steps, a seed, its init image and mask in memory.
#include <cstdint>
#include <string>

#include "common/error.h"
#include "fuzz_util.h"
#include "server/openai_api.h"
#include "server/webui_api.h"
#include "server/wire.h"

namespace {

void check_job(const sdxl::server::Job& job, const sdxl::server::RequestLimits& limits, const std::string& body) {
  FUZZ_CHECK(job.count >= 1 && job.count <= limits.max_images, body);
  FUZZ_CHECK(job.request.sampling.seed.has_value(), body);
  FUZZ_CHECK(job.request.sampling.steps >= 1 && job.request.sampling.steps <= limits.max_steps, body);
  FUZZ_CHECK(job.request.sampling.size.width >= 8 && job.request.sampling.size.width <= limits.max_side, body);
  FUZZ_CHECK(job.request.sampling.size.height >= 8 && job.request.sampling.size.height <= limits.max_side, body);
  // Uploads reach the run layer in memory: every image the request names (init image, mask) is held there as a
  // PNG that decodes, within the limits.
  for (const auto* name : {&job.request.img2img.init_image, &job.request.inpaint.mask}) {
    if (!*name) continue;
    const auto it = job.request.input_images.find(**name);
    FUZZ_CHECK(it != job.request.input_images.end() && it->second, body);
    const sdxl::io::Image image = sdxl::io::decode_png(*it->second, **name);
    FUZZ_CHECK(image.width <= limits.max_side && image.height <= limits.max_side, body);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sdxl::server;
  if (size < 1) return 0;
  const int endpoint = data[0] % 6;
  const std::string body(reinterpret_cast<const char*>(data + 1), size - 1);
  RequestLimits limits;
  limits.max_side = 256;  // keeps decoded and resized images small enough to fuzz quickly
  const sdxl::GenerationRequest defaults;
  const std::vector<Checkpoint> checkpoints = {{"tiny-sdxl", "tiny"}};
  try {
    switch (endpoint) {
      case 0: check_job(webui_txt2img(parse_json_object(body), defaults, limits).job, limits, body); break;
      case 1: check_job(webui_img2img(parse_json_object(body), defaults, limits).job, limits, body); break;
      case 2: check_job(openai_generation(parse_json_object(body), defaults, limits, checkpoints).job, limits, body); break;
      case 3: webui_png_info(parse_json_object(body)); break;
      case 4: {
        const auto nl = body.find('\n');
        const nlohmann::json fields = parse_json_object(body.substr(0, nl));
        const std::string image = nl == std::string::npos ? "" : body.substr(nl + 1);
        check_job(openai_edit(fields, image, std::nullopt, defaults, limits, checkpoints).job, limits, body);
        break;
      }
      default: {
        const auto eq = body.find('=');
        if (eq != std::string::npos) openai_form_value(body.substr(0, eq), body.substr(eq + 1));
      }
    }
  } catch (const WireError& e) {
    FUZZ_CHECK(e.status == 400 || e.status == 404 || e.status == 422, e.what());
  }
  return 0;
}
