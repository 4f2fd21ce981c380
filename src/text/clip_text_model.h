// CLIP text transformer (Radford et al. 2021) with Hugging Face module names, so named_parameters()
// equals the keys of `text_encoder*/model.safetensors`: text_model.embeddings.token_embedding.weight,
// text_model.encoder.layers.N.self_attn.q_proj.weight, ..., text_model.final_layer_norm.*, and for a
// CLIPTextModelWithProjection text_projection.weight (no bias). position_ids is not a buffer here.
// Every constructor allocates its parameters uninitialised in `options` (common/layers.h): a model is
// meaningless until load_state_dict has filled it.
#pragma once
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>

#include <set>
#include <string>
#include <vector>

#include "common/layers.h"
#include "text/clip_text_config.h"
#include "weights/state_dict.h"

namespace sdxl {

struct CLIPTextEmbeddingsImpl : torch::nn::Module {
  CLIPTextEmbeddingsImpl(const CLIPTextConfig& config, const at::TensorOptions& options);
  at::Tensor forward(const at::Tensor& input_ids);  // [B,T] -> token + position embeddings [B,T,W]
  Embedding token_embedding{nullptr}, position_embedding{nullptr};
};
TORCH_MODULE(CLIPTextEmbeddings);

// Multi-head self-attention with a causal mask only: padding tokens are attended to like any other
// token (CLIP never used a padding mask; SDXL's conditioning depends on the padded positions). The vision
// tower (vision/clip_vision_model.h) uses the same blocks without the mask (`causal` false).
struct CLIPAttentionImpl : torch::nn::Module {
  CLIPAttentionImpl(const CLIPTextConfig& config, const at::TensorOptions& options, bool causal = true);
  at::Tensor forward(const at::Tensor& x);
  int64_t heads;
  bool causal;
  Linear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, out_proj{nullptr};
};
TORCH_MODULE(CLIPAttention);

struct CLIPMLPImpl : torch::nn::Module {
  CLIPMLPImpl(const CLIPTextConfig& config, const at::TensorOptions& options);
  at::Tensor forward(const at::Tensor& x);
  ClipActivation activation;
  Linear fc1{nullptr}, fc2{nullptr};
};
TORCH_MODULE(CLIPMLP);

// Pre-LN transformer block: x + attn(LN1(x)), then x + mlp(LN2(x)).
struct CLIPEncoderLayerImpl : torch::nn::Module {
  CLIPEncoderLayerImpl(const CLIPTextConfig& config, const at::TensorOptions& options, bool causal = true);
  at::Tensor forward(const at::Tensor& x);
  CLIPAttention self_attn{nullptr};
  LayerNorm layer_norm1{nullptr}, layer_norm2{nullptr};
  CLIPMLP mlp{nullptr};
};
TORCH_MODULE(CLIPEncoderLayer);

struct CLIPEncoderImpl : torch::nn::Module {
  CLIPEncoderImpl(const CLIPTextConfig& config, const at::TensorOptions& options, bool causal = true);
  torch::nn::ModuleList layers{nullptr};
};
TORCH_MODULE(CLIPEncoder);

struct CLIPTextTransformerImpl : torch::nn::Module {
  CLIPTextTransformerImpl(const CLIPTextConfig& config, const at::TensorOptions& options);
  CLIPTextEmbeddings embeddings{nullptr};
  CLIPEncoder encoder{nullptr};
  LayerNorm final_layer_norm{nullptr};
};
TORCH_MODULE(CLIPTextTransformer);

struct CLIPTextOutput {
  std::vector<at::Tensor> hidden_states;  // L+1 tensors [B,T,W]: embeddings, then the output of each layer
  at::Tensor last_hidden;                 // final_layer_norm(hidden_states[L]) [B,T,W] (HF last_hidden_state)
  at::Tensor pooled;                      // text_projection(last_hidden at the eos) [B,P]; undefined without projection
  const at::Tensor& penultimate() const { return hidden_states.at(hidden_states.size() - 2); }  // SDXL's context
};

struct CLIPTextModelImpl : torch::nn::Module {
  CLIPTextModelImpl(const CLIPTextConfig& config, bool with_projection, const at::TensorOptions& options);
  // input_ids [B,T] int64, T <= max_position_embeddings. The eos of each row is the first position of its
  // largest id (CLIP's eos 49407 is the largest id; the pads of SDXL's text_encoder are 49407 too).
  CLIPTextOutput forward(const at::Tensor& input_ids);
  bool has_projection() const { return !text_projection.is_empty(); }
  const CLIPTextConfig& config() const { return config_; }

  CLIPTextTransformer text_model{nullptr};
  Linear text_projection{nullptr};

 private:
  CLIPTextConfig config_;
};
TORCH_MODULE(CLIPTextModel);

// State-dict keys a CLIP text checkpoint may carry that the module does not need.
const std::set<std::string>& clip_text_ignored_keys();

// Builds the model on device in dtype (with text_projection iff the weights have `text_projection.weight`)
// and loads the weights strictly. `what` names the component in error messages.
CLIPTextModel load_clip_text_model(const StateDict& weights, const CLIPTextConfig& config, const std::string& what,
                                   torch::Device device = torch::kCPU, at::ScalarType dtype = at::kFloat);

}  // namespace sdxl
