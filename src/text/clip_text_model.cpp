#include "text/clip_text_model.h"

#include "common/error.h"

namespace sdxl {

CLIPTextEmbeddingsImpl::CLIPTextEmbeddingsImpl(const CLIPTextConfig& c, const at::TensorOptions& options) {
  token_embedding = register_module("token_embedding", Embedding(c.vocab_size, c.hidden_size, options));
  position_embedding =
      register_module("position_embedding", Embedding(c.max_position_embeddings, c.hidden_size, options));
}

at::Tensor CLIPTextEmbeddingsImpl::forward(const at::Tensor& input_ids) {
  const int64_t length = input_ids.size(1);
  const at::Tensor& positions = position_embedding->weight;
  if (length > positions.size(0))
    throw Error(ErrorCategory::Input, "", "text encoder input has " + std::to_string(length) + " tokens, more than its " +
                std::to_string(positions.size(0)) + " positions");
  return token_embedding->forward(input_ids) + positions.slice(0, 0, length).unsqueeze(0);
}

CLIPAttentionImpl::CLIPAttentionImpl(const CLIPTextConfig& c, const at::TensorOptions& options, bool causal)
    : heads(c.num_attention_heads), causal(causal) {
  q_proj = register_module("q_proj", Linear(c.hidden_size, c.hidden_size, true, options));
  k_proj = register_module("k_proj", Linear(c.hidden_size, c.hidden_size, true, options));
  v_proj = register_module("v_proj", Linear(c.hidden_size, c.hidden_size, true, options));
  out_proj = register_module("out_proj", Linear(c.hidden_size, c.hidden_size, true, options));
}

at::Tensor CLIPAttentionImpl::forward(const at::Tensor& x) {
  const int64_t batch = x.size(0), length = x.size(1), width = x.size(2);
  // [B,T,W] -> [B,heads,T,head_dim]: each head is a contiguous slice of the width.
  auto split = [&](const at::Tensor& t) { return t.view({batch, length, heads, width / heads}).transpose(1, 2); };
  at::Tensor q = split(q_proj->forward(x)), k = split(k_proj->forward(x)), v = split(v_proj->forward(x));
  // softmax(q k^T / sqrt(head_dim) + causal mask) v; key j is visible to query i iff j <= i (text).
  at::Tensor a = at::scaled_dot_product_attention(q, k, v, /*attn_mask=*/{}, /*dropout_p=*/0.0, causal);
  return out_proj->forward(a.transpose(1, 2).reshape({batch, length, width}));
}

CLIPMLPImpl::CLIPMLPImpl(const CLIPTextConfig& c, const at::TensorOptions& options) : activation(c.hidden_act) {
  fc1 = register_module("fc1", Linear(c.hidden_size, c.intermediate_size, true, options));
  fc2 = register_module("fc2", Linear(c.intermediate_size, c.hidden_size, true, options));
}

at::Tensor CLIPMLPImpl::forward(const at::Tensor& x) {
  at::Tensor h = fc1->forward(x);
  switch (activation) {
    case ClipActivation::QuickGelu: h = h * at::sigmoid(1.702 * h); break;
    case ClipActivation::Gelu: h = at::gelu(h); break;
    case ClipActivation::GeluTanh: h = at::gelu(h, "tanh"); break;
  }
  return fc2->forward(h);
}

CLIPEncoderLayerImpl::CLIPEncoderLayerImpl(const CLIPTextConfig& c, const at::TensorOptions& options, bool causal) {
  self_attn = register_module("self_attn", CLIPAttention(c, options, causal));
  layer_norm1 = register_module("layer_norm1", LayerNorm(c.hidden_size, c.layer_norm_eps, options));
  mlp = register_module("mlp", CLIPMLP(c, options));
  layer_norm2 = register_module("layer_norm2", LayerNorm(c.hidden_size, c.layer_norm_eps, options));
}

at::Tensor CLIPEncoderLayerImpl::forward(const at::Tensor& x) {
  at::Tensor h = x + self_attn->forward(layer_norm1->forward(x));
  return h + mlp->forward(layer_norm2->forward(h));
}

CLIPEncoderImpl::CLIPEncoderImpl(const CLIPTextConfig& c, const at::TensorOptions& options, bool causal) {
  layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) layers->push_back(CLIPEncoderLayer(c, options, causal));
}

CLIPTextTransformerImpl::CLIPTextTransformerImpl(const CLIPTextConfig& c, const at::TensorOptions& options) {
  embeddings = register_module("embeddings", CLIPTextEmbeddings(c, options));
  encoder = register_module("encoder", CLIPEncoder(c, options));
  final_layer_norm = register_module("final_layer_norm", LayerNorm(c.hidden_size, c.layer_norm_eps, options));
}

CLIPTextModelImpl::CLIPTextModelImpl(const CLIPTextConfig& config, bool with_projection,
                                     const at::TensorOptions& options)
    : config_(config) {
  config_.validate("CLIPTextModel");
  text_model = register_module("text_model", CLIPTextTransformer(config_, options));
  if (with_projection)
    text_projection = register_module(
        "text_projection", Linear(config_.hidden_size, config_.projection_dim, /*bias=*/false, options));
}

CLIPTextOutput CLIPTextModelImpl::forward(const at::Tensor& input_ids) {
  if (input_ids.dim() != 2) throw Error(ErrorCategory::Input, "", "text encoder input_ids must be [batch, tokens], got " + std::to_string(input_ids.dim()) + " dims");
  const at::Tensor& table = text_model->embeddings->token_embedding->weight;
  const at::Tensor ids = input_ids.to(table.device(), at::kLong);
  // The table's rows, not config.vocab_size: textual-inversion embeddings append rows (adapters/embeddings.h).
  if (ids.numel() && (ids.min().item<int64_t>() < 0 || ids.max().item<int64_t>() >= table.size(0)))
    throw Error(ErrorCategory::Input, "", "text encoder input has token ids outside [0, " + std::to_string(table.size(0)) + ")");

  CLIPTextOutput out;
  at::Tensor x = text_model->embeddings->forward(ids);
  out.hidden_states.push_back(x);
  for (const auto& layer : *text_model->encoder->layers) {
    x = layer->as<CLIPEncoderLayer>()->forward(x);
    out.hidden_states.push_back(x);
  }
  out.last_hidden = text_model->final_layer_norm->forward(x);
  if (has_projection()) {
    // argmax returns the first maximal position: the eos, even when the pads are eos too. Configs with a real
    // eos_token_id pool at its first position instead (transformers), which differs only when embeddings add
    // ids beyond the eos.
    const at::Tensor eos = config_.eos_token_id == 2 ? ids.argmax(-1) : ids.eq(config_.eos_token_id).to(at::kInt).argmax(-1);
    const at::Tensor rows = at::arange(ids.size(0), eos.options());
    out.pooled = text_projection->forward(out.last_hidden.index({rows, eos}));
  }
  return out;
}

const std::set<std::string>& clip_text_ignored_keys() {
  static const std::set<std::string> keys = {"text_model.embeddings.position_ids"};
  return keys;
}

CLIPTextModel load_clip_text_model(const StateDict& weights, const CLIPTextConfig& config, const std::string& what,
                                   torch::Device device, at::ScalarType dtype) {
  CLIPTextModel model(config, weights.count("text_projection.weight") > 0,
                      at::TensorOptions().device(device).dtype(dtype));
  load_state_dict(*model, weights, what, clip_text_ignored_keys());
  model->eval();
  return model;
}

}  // namespace sdxl
