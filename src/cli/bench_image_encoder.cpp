#include "cli/bench_image_encoder.h"

#include <algorithm>

#include "common/stopwatch.h"
#include "vision/clip_vision_model.h"

namespace sdxl::cli {
namespace {

// The published shapes (open_clip ViT-bigG-14 / ViT-H-14 configs, as the IP-Adapter repositories' image_encoder
// config.json files give them).
CLIPVisionConfig encoder_config(int64_t width, int64_t layers, int64_t intermediate, int64_t projection) {
  CLIPVisionConfig c;
  c.hidden_size = width;
  c.num_hidden_layers = layers;
  c.num_attention_heads = 16;
  c.intermediate_size = intermediate;
  c.projection_dim = projection;
  c.patch_size = 14;
  c.image_size = 224;
  c.hidden_act = ClipActivation::Gelu;
  return c;
}

}  // namespace

void bench_image_encoders(const Placement& p, int repeat, const std::function<void(torch::nn::Module&)>& randomize,
                          const std::function<void(const std::string&, double, const std::string&)>& report) {
  const auto opts = at::TensorOptions().device(p.device).dtype(p.dtype);
  for (const auto& [key, label, config] :
       {std::tuple{"image_encoder_bigg_s", "image encoder ViT-bigG/14 (one image)", encoder_config(1664, 48, 8192, 1280)},
        std::tuple{"image_encoder_vith_s", "image encoder ViT-H/14 (one image)", encoder_config(1280, 32, 5120, 1024)}}) {
    CLIPVisionModel encoder(config, opts);
    randomize(*encoder);
    const at::Tensor pixels = at::randn({1, 3, 224, 224});
    std::vector<double> times;
    encoder->forward(pixels);  // warm-up
    for (int i = 0; i < std::max(1, repeat); ++i) {
      Stopwatch timer;
      encoder->forward(pixels).image_embeds.to(at::kCPU);  // the copy waits for the device
      times.push_back(timer.seconds());
    }
    std::sort(times.begin(), times.end());
    report(key, times[times.size() / 2], label);
  }
}

UNetExtras random_image_prompt(UNet2DConditionModelImpl& unet, int64_t batch) {
  constexpr int64_t kTokens = 4;  // a base adapter's
  UNetExtras extras;
  ImagePromptAttention ip;
  ip.scale = 0.6;
  for (const auto& layer : unet.cross_attention_layers()) {
    const auto& w = layer->to_k->weight;
    ip.keys.push_back(at::randn({batch, kTokens, w.size(0)}, w.options()));
    ip.values.push_back(at::randn({batch, kTokens, w.size(0)}, w.options()));
  }
  extras.image_prompts.push_back(std::move(ip));
  return extras;
}

}  // namespace sdxl::cli
