// CLIP vision transformer with projection (transformers CLIPVisionModelWithProjection, Radford et al. 2021):
// the image encoder of IP-Adapter. Module names equal the transformers checkpoint keys
// (vision_model.embeddings.class_embedding, vision_model.pre_layrnorm.*, vision_model.encoder.layers.N.*,
// vision_model.post_layernorm.*, visual_projection.weight), so a strict load_state_dict fills it. The encoder
// blocks are the text encoder's (text/clip_text_model.h) without the causal mask.
#pragma once
#include <torch/nn/module.h>

#include "common/layers.h"
#include "text/clip_text_model.h"
#include "vision/clip_vision_config.h"
#include "weights/state_dict.h"

namespace sdxl {

// Patch embedding (a stride-`patch` convolution without bias), the class token first, plus learned positions.
struct CLIPVisionEmbeddingsImpl : torch::nn::Module {
  CLIPVisionEmbeddingsImpl(const CLIPVisionConfig& config, const at::TensorOptions& options);
  at::Tensor forward(const at::Tensor& pixel_values);  // [B,C,S,S] -> [B, 1 + (S/patch)^2, W]
  at::Tensor class_embedding;
  Conv2d patch_embedding{nullptr};
  Embedding position_embedding{nullptr};
};
TORCH_MODULE(CLIPVisionEmbeddings);

struct CLIPVisionTransformerImpl : torch::nn::Module {
  CLIPVisionTransformerImpl(const CLIPVisionConfig& config, const at::TensorOptions& options);
  CLIPVisionEmbeddings embeddings{nullptr};
  LayerNorm pre_layrnorm{nullptr};  // sic: transformers' name
  CLIPEncoder encoder{nullptr};
  LayerNorm post_layernorm{nullptr};
};
TORCH_MODULE(CLIPVisionTransformer);

struct CLIPVisionOutput {
  at::Tensor image_embeds;  // visual_projection(post_layernorm(class token of the last layer)) [B, P]
  at::Tensor penultimate;   // hidden_states[-2]: the second-to-last layer's output [B, T, W] (IP-Adapter Plus)
};

struct CLIPVisionModelImpl : torch::nn::Module {
  CLIPVisionModelImpl(const CLIPVisionConfig& config, const at::TensorOptions& options);
  // pixel_values [B, C, S, S] as CLIPImageProcessor makes them (vision/clip_image_processor.h).
  CLIPVisionOutput forward(const at::Tensor& pixel_values);
  const CLIPVisionConfig& config() const { return config_; }

  CLIPVisionTransformer vision_model{nullptr};
  Linear visual_projection{nullptr};

 private:
  CLIPVisionConfig config_;
};
TORCH_MODULE(CLIPVisionModel);

// Builds the model on `device` in `dtype` and loads `weights` (transformers names) strictly.
CLIPVisionModel load_clip_vision_model(const StateDict& weights, const CLIPVisionConfig& config,
                                       const std::string& what, torch::Device device = torch::kCPU,
                                       at::ScalarType dtype = at::kFloat);

}  // namespace sdxl
