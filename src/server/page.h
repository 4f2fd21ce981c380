// The page at `/`: one self-contained HTML document (no build step, no external resources) that drives the
// web-UI API of the same server: prompt, settings, LoRA list, live progress with the preview, the result.
#pragma once

namespace sdxl::server {

const char* page_html();

}  // namespace sdxl::server
