// `bench --lora RANK`: a random kohya LoRA of that rank on every attention and feed-forward linear of the
// full-size base UNet and both text encoders (random weights), merged and unmerged by the same
// AdapterSession that --lora and per-item LoRA sets in batches use.
#pragma once
#include <torch/nn/module.h>

#include <functional>
#include <nlohmann/json.hpp>

#include "pipeline/device.h"

namespace sdxl::cli {

// Fills `out` with lora_* figures; prints the applied line (and, unless `json`, the timings) on stderr.
// `randomize` gives a built model its random weights (the bench's own).
void bench_lora(const Placement& placement, int64_t rank, bool json,
                const std::function<void(torch::nn::Module&)>& randomize, nlohmann::json& out);

}  // namespace sdxl::cli
