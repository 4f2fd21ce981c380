// SDXL's training resolution buckets (SDXL paper sec. 2.3, multi-aspect training; the list Stability AI's
// generative-models demo ships as SD_XL_BASE_RATIOS), for --bucket and for size advice.
#pragma once
#include <string>
#include <vector>

#include "sdxl/request.h"

namespace sdxl {

const std::vector<Size>& sdxl_buckets();
// The bucket whose aspect ratio is closest (in log space) to `size`'s.
Size nearest_bucket(const Size& size);
// Advice when a size is far from what SDXL was trained on (empty when fine).
std::vector<std::string> size_warnings(const Size& size);

}  // namespace sdxl
