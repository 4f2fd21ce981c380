#include "vision/clip_vision_model.h"

#include "common/error.h"

namespace sdxl {

CLIPVisionEmbeddingsImpl::CLIPVisionEmbeddingsImpl(const CLIPVisionConfig& c, const at::TensorOptions& options) {
  class_embedding = register_parameter("class_embedding", at::empty({c.hidden_size}, options), false);
  patch_embedding = register_module(
      "patch_embedding", Conv2d(c.num_channels, c.hidden_size, c.patch_size, c.patch_size, 0, options, /*with_bias=*/false));
  position_embedding = register_module("position_embedding", Embedding(c.tokens(), c.hidden_size, options));
}

at::Tensor CLIPVisionEmbeddingsImpl::forward(const at::Tensor& pixel_values) {
  const int64_t batch = pixel_values.size(0);
  at::Tensor patches = patch_embedding(pixel_values.to(class_embedding.options())).flatten(2).transpose(1, 2);
  at::Tensor cls = class_embedding.view({1, 1, -1}).expand({batch, 1, -1});
  return at::cat({cls, patches}, 1) + position_embedding->weight.unsqueeze(0);
}

CLIPVisionTransformerImpl::CLIPVisionTransformerImpl(const CLIPVisionConfig& c, const at::TensorOptions& options) {
  embeddings = register_module("embeddings", CLIPVisionEmbeddings(c, options));
  pre_layrnorm = register_module("pre_layrnorm", LayerNorm(c.hidden_size, c.layer_norm_eps, options));
  encoder = register_module("encoder", CLIPEncoder(c.blocks(), options, /*causal=*/false));
  post_layernorm = register_module("post_layernorm", LayerNorm(c.hidden_size, c.layer_norm_eps, options));
}

CLIPVisionModelImpl::CLIPVisionModelImpl(const CLIPVisionConfig& config, const at::TensorOptions& options)
    : config_(config) {
  config_.validate("CLIPVisionModelWithProjection");
  vision_model = register_module("vision_model", CLIPVisionTransformer(config_, options));
  visual_projection =
      register_module("visual_projection", Linear(config_.hidden_size, config_.projection_dim, /*bias=*/false, options));
}

CLIPVisionOutput CLIPVisionModelImpl::forward(const at::Tensor& pixel_values) {
  const CLIPVisionConfig& c = config_;
  if (pixel_values.dim() != 4 || pixel_values.size(1) != c.num_channels || pixel_values.size(2) != c.image_size ||
      pixel_values.size(3) != c.image_size)
    throw Error(ErrorCategory::Generation, "", "image encoder input must be [B, " + std::to_string(c.num_channels) + ", " +
                std::to_string(c.image_size) + ", " + std::to_string(c.image_size) + "]");
  const auto device = visual_projection->weight.device();
  // transformers: hidden_states[0] is the encoder input (after pre_layrnorm), then one per layer.
  at::Tensor x = vision_model->pre_layrnorm(vision_model->embeddings->forward(pixel_values.to(device)));
  CLIPVisionOutput out;
  const auto& layers = *vision_model->encoder->layers;
  for (size_t i = 0; i < layers.size(); ++i) {
    if (i + 1 == layers.size()) out.penultimate = x;
    x = layers[i]->as<CLIPEncoderLayer>()->forward(x);
  }
  out.image_embeds = visual_projection(vision_model->post_layernorm(x.select(1, 0)));
  return out;
}

CLIPVisionModel load_clip_vision_model(const StateDict& weights, const CLIPVisionConfig& config,
                                       const std::string& what, torch::Device device, at::ScalarType dtype) {
  CLIPVisionModel model(config, at::TensorOptions().device(device).dtype(dtype));
  load_state_dict(*model, weights, what, {"vision_model.embeddings.position_ids"});
  model->eval();
  return model;
}

}  // namespace sdxl
