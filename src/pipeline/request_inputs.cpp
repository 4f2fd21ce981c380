#include "pipeline/request_inputs.h"

#include "common/error.h"
#include "control/control_model.h"
#include "io/image_file.h"
#include "pipeline/image_prompts.h"

namespace sdxl {

void check_request_inputs(const GenerationRequest& r) {
  for (const IpAdapterSpec& s : r.adapters.ip_adapters) (void)check_image_prompt_files(s);
  for (const ControlSpec& s : r.adapters.controls) {
    ControlModelFile file;
    try {
      file = inspect_control_model(s.model);
    } catch (const Error& e) {
      if (e.category() != ErrorCategory::Input) throw;
      throw input_error("control", e.detail());
    }
    if (file.kind != ControlKind::ControlNet && file.kind != ControlKind::ControlLora &&
        file.kind != ControlKind::T2IAdapter)
      throw input_error("control", s.model + ": a " + std::string(to_string(file.kind)) + ", which sdxl-gen does not run");
    if (file.kind == ControlKind::T2IAdapter && s.start != 0.0)
      throw usage_error("control_start", "must be 0 for the T2I-Adapter " + s.model +
                                             " (it runs from the first step; control_end is its conditioning factor)");
    try {
      (void)io::read_image(s.image);
    } catch (const Error& e) {
      throw input_error("control_image", e.what());
    }
  }
}

}  // namespace sdxl
