#include "text/text_conditioner.h"

#include <algorithm>
#include <set>

#include "common/error.h"
#include "io/utf8.h"
#include "text/prompt_emphasis.h"

namespace sdxl {
namespace {

// diffusers' `x or fallback`: None and "" both fall back.
std::string or_else(const std::optional<std::string>& value, const std::string& fallback) {
  return value && !value->empty() ? *value : fallback;
}

std::string quoted_excerpt(const std::string& text, size_t max_bytes = 60) {
  const size_t cut = io::utf8_prefix_bytes(text, max_bytes);  // whole UTF-8 characters
  return "\"" + text.substr(0, cut) + (cut < text.size() ? "...\"" : "\"");
}

void add_warning(std::vector<std::string>& warnings, const std::string& message) {
  if (std::find(warnings.begin(), warnings.end(), message) == warnings.end()) warnings.push_back(message);
}

}  // namespace

TextEncoder TextEncoder::from_state_dict(std::string name, std::shared_ptr<const Tokenizer> tokenizer,
                                         const StateDict& weights, const nlohmann::json& config,
                                         torch::Device device, at::ScalarType dtype) {
  const CLIPTextConfig parsed = CLIPTextConfig::from_json(config, name + " config");
  return TextEncoder{name, std::move(tokenizer), load_clip_text_model(weights, parsed, name, device, dtype)};
}

TextConditioner::TextConditioner(std::vector<TextEncoder> encoders, TextConditionerOptions options)
    : encoders_(std::move(encoders)), options_(options) {
  const size_t expected = options_.kind == ModelKind::Base ? 2 : 1;
  if (encoders_.size() != expected)
    throw Error(ErrorCategory::Input, "", std::string(options_.kind == ModelKind::Base ? "base" : "refiner") + " text conditioning needs " +
                std::to_string(expected) + " text encoder(s), got " + std::to_string(encoders_.size()));
  for (const auto& e : encoders_) {
    if (!e.tokenizer) throw Error(ErrorCategory::Input, "", e.name + ": no tokenizer");
    if (e.model.is_empty()) throw Error(ErrorCategory::Input, "", e.name + ": no model");
    context_width_ += e.model->config().hidden_size;
    // The encoders' outputs are concatenated token by token, so both must read the same number of tokens.
    const int length = e.tokenizer->context_length();
    if (length > e.model->config().max_position_embeddings)
      throw Error(ErrorCategory::Input, "", e.name + ": the tokenizer's context length " + std::to_string(length) +
                  " exceeds max_position_embeddings " + std::to_string(e.model->config().max_position_embeddings));
    if (length != encoders_.front().tokenizer->context_length())
      throw Error(ErrorCategory::Input, "", e.name + ": context length " + std::to_string(length) + " differs from " + encoders_.front().name +
                  "'s " + std::to_string(encoders_.front().tokenizer->context_length()));
  }
  context_length_ = encoders_.front().tokenizer->context_length();
  const auto& last = encoders_.back();
  if (!last.model->has_projection())
    throw Error(ErrorCategory::Input, "", last.name + " has no text_projection: SDXL's pooled embedding comes from it "
                "(expected a CLIPTextModelWithProjection)");
  pooled_width_ = last.model->config().projection_dim;
  output_options_ = last.model->text_projection->weight.options();
  cache_.resize(encoders_.size());
}

// Tokens of `text` for one encoder, in chunks of at most 75 (BREAK also ends a chunk), each with its
// weights. Truncate mode keeps the first chunk and reports what the others held.
TextConditioner::Chunks TextConditioner::chunks(size_t encoder, const std::string& text,
                                                std::vector<std::string>& warnings) const {
  const Tokenizer& tok = *encoders_[encoder].tokenizer;
  const size_t capacity = static_cast<size_t>(tok.context_length() - 1 - (tok.bos_id() >= 0 ? 1 : 0));
  struct Pending {
    std::vector<int> ids;
    std::vector<float> weights;
  };
  std::vector<Pending> pending(1);
  auto add = [&](const std::vector<int>& ids, float weight) {
    for (int id : ids) {
      if (pending.back().ids.size() == capacity) pending.emplace_back();
      pending.back().ids.push_back(id);
      pending.back().weights.push_back(weight);
    }
  };
  if (options_.syntax == PromptSyntax::None) {
    add(tok.encode(text), 1.0f);
  } else {
    for (const auto& part : parse_prompt_emphasis(text)) {
      if (part.is_break)
        pending.emplace_back();
      else
        add(tok.encode(part.text), static_cast<float>(part.weight));
    }
    if (pending.size() > 1 && pending.back().ids.empty()) pending.pop_back();  // trailing BREAK
  }

  if (options_.long_prompts == LongPromptMode::Truncate && pending.size() > 1) {
    std::vector<int> dropped;
    for (size_t c = 1; c < pending.size(); ++c) dropped.insert(dropped.end(), pending[c].ids.begin(), pending[c].ids.end());
    pending.resize(1);
    add_warning(warnings, "prompt " + quoted_excerpt(text) + " is longer than " + std::to_string(capacity) +
                              " tokens (or has BREAK) and was truncated; dropped: " + quoted_excerpt(tok.decode(dropped), 200) +
                              " (use chunked long prompts to keep it)");
  }

  Chunks out;
  for (const auto& p : pending) {
    Chunk chunk{tok.model_input(p.ids), {}};
    if (std::any_of(p.weights.begin(), p.weights.end(), [](float w) { return w != 1.0f; })) {
      chunk.weights.assign(chunk.tokens.ids77.size(), 1.0f);
      std::copy(p.weights.begin(), p.weights.end(), chunk.weights.begin() + (tok.bos_id() >= 0 ? 1 : 0));
    }
    out.push_back(std::move(chunk));
  }
  return out;
}

TextConditioner::Chunk TextConditioner::empty_chunk(size_t encoder) const {
  return Chunk{encoders_[encoder].tokenizer->model_input({}), {}};
}

// Runs every chunk not yet in the cache through its encoder, one at a time (each prompt is encoded alone,
// as the reference does, so its numbers never depend on what else is in the batch), storing penultimate/pooled.
void TextConditioner::run_encoders(const std::vector<std::vector<const Chunk*>>& wanted) {
  c10::InferenceMode inference;
  for (size_t e = 0; e < encoders_.size(); ++e) {
    std::vector<std::vector<int64_t>> missing;
    std::set<std::vector<int64_t>> seen;
    for (const Chunk* chunk : wanted[e])
      if (!cache_[e].count(chunk->tokens.ids77) && seen.insert(chunk->tokens.ids77).second)
        missing.push_back(chunk->tokens.ids77);
    if (missing.empty()) continue;
    CLIPTextModel& model = encoders_[e].model;
    const bool pooled = e + 1 == encoders_.size();
    for (const auto& ids77 : missing) {
      const CLIPTextOutput out = model->forward(at::tensor(ids77, at::kLong).view({1, -1}));
      Encoded& slot = cache_[e][ids77];
      slot.penultimate = out.penultimate()[0].to(output_options_);
      if (pooled) slot.pooled = out.pooled[0].to(output_options_);
    }
  }
}

// [77 * chunks, sum of widths]: per chunk, each encoder's (emphasised) penultimate states side by side.
at::Tensor TextConditioner::context_row(const std::vector<Chunks>& per_encoder) const {
  std::vector<at::Tensor> chunk_contexts;
  for (size_t c = 0; c < per_encoder[0].size(); ++c) {
    std::vector<at::Tensor> parts;
    for (size_t e = 0; e < encoders_.size(); ++e) {
      const Chunk& chunk = per_encoder[e][c];
      parts.push_back(apply_emphasis(cache_[e].at(chunk.tokens.ids77).penultimate, chunk.weights));
    }
    chunk_contexts.push_back(at::cat(parts, -1));
  }
  return at::cat(chunk_contexts, 0);
}

at::Tensor TextConditioner::pooled_row(const std::vector<Chunks>& per_encoder) const {
  return cache_.back().at(per_encoder.back().front().tokens.ids77).pooled;
}

EncodedPrompts TextConditioner::encode(const std::vector<PromptRequest>& batch, bool with_negative) {
  if (batch.empty()) throw Error(ErrorCategory::Input, "", "encode: empty batch of prompts");
  EncodedPrompts result;
  const bool base = options_.kind == ModelKind::Base;
  const size_t n_enc = encoders_.size();

  // Texts each encoder sees (diffusers encode_prompt), tokenized into chunks. nullopt = zeros.
  std::vector<std::vector<Chunks>> positive(batch.size());
  std::vector<std::optional<std::vector<Chunks>>> negative(batch.size());
  for (size_t r = 0; r < batch.size(); ++r) {
    const PromptRequest& row = batch[r];
    std::vector<std::string> pos_texts, neg_texts;
    if (base) {
      pos_texts = {row.prompt, or_else(row.prompt_2, row.prompt)};
    } else {
      pos_texts = {row.prompt};
      if (row.prompt_2 && !row.prompt_2->empty())
        add_warning(result.warnings, "the refiner has only text_encoder_2 and uses prompt; prompt_2 is ignored");
    }
    for (size_t e = 0; e < n_enc; ++e) positive[r].push_back(chunks(e, pos_texts[e], result.warnings));
    if (!with_negative) continue;
    if (!row.negative_prompt && options_.force_zeros_for_empty_prompt) continue;  // zeros
    const std::string neg = row.negative_prompt.value_or("");
    if (base) {
      neg_texts = {neg, or_else(row.negative_prompt_2, neg)};
    } else {
      neg_texts = {neg};
      if (row.negative_prompt_2 && !row.negative_prompt_2->empty())
        add_warning(result.warnings,
                    "the refiner has only text_encoder_2 and uses negative_prompt; negative_prompt_2 is ignored");
    }
    negative[r].emplace();
    for (size_t e = 0; e < n_enc; ++e) negative[r]->push_back(chunks(e, neg_texts[e], result.warnings));
  }

  // Every row, side and encoder gets the same number of chunks (padding with encodings of "").
  size_t n_chunks = 1;
  auto each_list = [&](auto&& fn) {
    for (size_t r = 0; r < batch.size(); ++r) {
      for (auto& list : positive[r]) fn(list);
      if (negative[r])
        for (auto& list : *negative[r]) fn(list);
    }
  };
  each_list([&](Chunks& list) { n_chunks = std::max(n_chunks, list.size()); });
  std::vector<std::vector<const Chunk*>> wanted(n_enc);
  for (size_t r = 0; r < batch.size(); ++r) {
    auto pad = [&](std::vector<Chunks>& lists) {
      for (size_t e = 0; e < n_enc; ++e) {
        while (lists[e].size() < n_chunks) lists[e].push_back(empty_chunk(e));
        for (const Chunk& c : lists[e]) wanted[e].push_back(&c);
      }
    };
    pad(positive[r]);
    if (negative[r]) pad(*negative[r]);
  }
  run_encoders(wanted);

  std::vector<at::Tensor> pos_context, pos_pooled, neg_context, neg_pooled;
  const at::Tensor zero_context = at::zeros({context_length_ * static_cast<int64_t>(n_chunks), context_width_}, output_options_);
  const at::Tensor zero_pooled = at::zeros({pooled_width_}, output_options_);
  for (size_t r = 0; r < batch.size(); ++r) {
    pos_context.push_back(context_row(positive[r]));
    pos_pooled.push_back(pooled_row(positive[r]));
    if (!with_negative) continue;
    neg_context.push_back(negative[r] ? context_row(*negative[r]) : zero_context);
    neg_pooled.push_back(negative[r] ? pooled_row(*negative[r]) : zero_pooled);
  }
  result.positive = {at::stack(pos_context), at::stack(pos_pooled)};
  if (with_negative) result.negative = {at::stack(neg_context), at::stack(neg_pooled)};
  return result;
}

void TextConditioner::clear_cache() {
  for (auto& c : cache_) c.clear();
}

}  // namespace sdxl
