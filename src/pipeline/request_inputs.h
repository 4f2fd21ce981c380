// The checks of a request's input files that need no model: its image prompts (each IP-Adapter file read, its
// image encoder found as generation finds it and fitted to the adapter, its image readable) and its controls
// (each control model's kind read from its tensor names and runnable, its image readable, a T2I-Adapter's start
// at 0). Run::prepare runs them for every item of a prompt file before any model loads, so that a missing
// adapter, encoder or image on line 5 is reported before line 1 loads anything; generation checks again what
// needs the model (an adapter or ControlNet that does not fit the UNet).
#pragma once
#include "sdxl/request.h"

namespace sdxl {

// Throws sdxl::Error naming the request field (ip_adapters / ip_image / image_encoder / control /
// control_image / control_start) and the file.
void check_request_inputs(const GenerationRequest& r);

}  // namespace sdxl
