// `bench --all`, image prompts: the IP-Adapter image encoders at full size with random weights (OpenCLIP
// ViT-bigG/14 for ip-adapter_sdxl, ViT-H/14 for the _vit-h and Plus files) encoding one 224x224 image, and the
// extra cost per UNet call of one adapter's decoupled cross-attention.
#pragma once
#include <torch/nn/module.h>

#include <functional>
#include <nlohmann/json.hpp>

#include "pipeline/device.h"
#include "unet/unet.h"

namespace sdxl::cli {

// Fills `out` with image_encoder_bigg_s / image_encoder_vith_s (median of `repeat` runs); `report` prints one line.
void bench_image_encoders(const Placement& placement, int repeat,
                          const std::function<void(torch::nn::Module&)>& randomize,
                          const std::function<void(const std::string&, double, const std::string&)>& report);

// One base adapter's keys/values (4 tokens, random) for every attn2 of `unet`, for a UNet batch of `batch`.
UNetExtras random_image_prompt(UNet2DConditionModelImpl& unet, int64_t batch);

}  // namespace sdxl::cli
