// Prompt emphasis syntax of the AUTOMATIC1111 Stable Diffusion web UI:
//   (text)        weight x 1.1         ((text)) x 1.21, ...
//   [text]        weight / 1.1
//   (text:1.3)    weight x 1.3         (a number after ':' right before the closing ')')
//   \( \) \[ \] \\  literal brackets / backslash
//   BREAK         (upper case, a whole word) ends the current 75-token chunk
// Unbalanced '(' / '[' apply to the end of the prompt; unmatched ')' / ']' are literal text.
// Differences from the web UI, on purpose: a backslash before any other character is kept (the web UI
// drops it) and BREAK inside brackets still breaks (the web UI turns it into weighted text "BREAK").
#pragma once
#include <ATen/ATen.h>

#include <string>
#include <vector>

namespace sdxl {

struct WeightedText {
  std::string text;     // UTF-8, escapes resolved
  double weight = 1.0;  // product of the enclosing brackets' multipliers
  bool is_break = false;  // a BREAK marker (text empty)
};

// Splits a prompt into runs of equal weight (adjacent runs with equal weights are merged) and BREAK
// markers. An empty prompt gives one empty run of weight 1.
std::vector<WeightedText> parse_prompt_emphasis(const std::string& prompt);

// The web UI's "Original" emphasis on one chunk's hidden states `hidden` [T,W] with per-position weights
// w [T] (1 for bos, eos and padding), computed in float32:
//   m0 = mean(hidden);  h = hidden * w[:,None];  result = h * (m0 / mean(h))
// i.e. scale each token's vector by its weight, then rescale the whole chunk so its mean over all
// elements is restored. All-1 weights (or a zero mean after weighting) return `hidden` unchanged.
at::Tensor apply_emphasis(const at::Tensor& hidden, const std::vector<float>& weights);

}  // namespace sdxl
