// Git checks a symbolic link out as a small text file holding the link target when symlinks are
// unavailable (core.symlinks=false: Windows, some archive tools). The test fixtures ship such files
// (tiny-sdxl-refiner/text_encoder_2/model.safetensors -> ../../tiny-sdxl/text_encoder_2/...), and user
// folders copied that way have them too. These helpers follow such placeholders like the OS follows links.
#pragma once
#include <string>

namespace sdxl::io {

// If `path` is a regular file of at most 1 KiB whose whole content is one line naming an existing
// file or folder (relative to the placeholder's folder, or absolute), returns that target, followed
// again if it is itself a placeholder (at most 8 hops). Otherwise returns `path` unchanged.
// A real safetensors file can never look like this: its first 8 bytes (the header length) would
// exceed the file size if they were printable text.
std::string resolve_link_placeholder(const std::string& path);

}  // namespace sdxl::io
