#include "text/prompt_emphasis.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace sdxl {
namespace {

constexpr double kRoundMultiplier = 1.1;
constexpr double kSquareMultiplier = 1.0 / 1.1;

bool is_word_byte(unsigned char c) { return std::isalnum(c) || c == '_' || c >= 0x80; }

// Python's \s for ASCII (non-ASCII spaces are left to the tokenizer's cleaning).
bool is_space(unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1C && c <= 0x1F); }

class Parser {
 public:
  std::vector<WeightedText> run(const std::string& prompt) {
    const size_t n = prompt.size();
    for (size_t i = 0; i < n;) {
      const char c = prompt[i];
      if (c == '\\' && i + 1 < n && std::string("()[]\\").find(prompt[i + 1]) != std::string::npos) {
        literal_ += prompt[i + 1];
        i += 2;
      } else if (c == '(' || c == '[') {
        flush();
        (c == '(' ? round_ : square_).push_back(out_.size());
        ++i;
      } else if (c == ':' && !round_.empty() && explicit_weight(prompt, i)) {
        // explicit_weight advanced i past "number)"
      } else if (c == ')' && !round_.empty()) {
        close(round_, kRoundMultiplier);
        ++i;
      } else if (c == ']' && !square_.empty()) {
        close(square_, kSquareMultiplier);
        ++i;
      } else {
        literal_ += c;
        ++i;
      }
    }
    flush();
    for (size_t start : round_) multiply_from(start, kRoundMultiplier);
    for (size_t start : square_) multiply_from(start, kSquareMultiplier);
    return merged();
  }

 private:
  // ":" spaces [+-]?[.0-9]+ spaces ")" closing the innermost '('. On success sets i past ')'.
  bool explicit_weight(const std::string& s, size_t& i) {
    size_t j = i + 1;
    while (j < s.size() && is_space(static_cast<unsigned char>(s[j]))) ++j;
    const size_t number_begin = j;
    if (j < s.size() && (s[j] == '+' || s[j] == '-')) ++j;
    const size_t digits_begin = j;
    while (j < s.size() && (std::isdigit(static_cast<unsigned char>(s[j])) || s[j] == '.')) ++j;
    if (j == digits_begin) return false;
    const std::string number = s.substr(number_begin, j - number_begin);
    while (j < s.size() && is_space(static_cast<unsigned char>(s[j]))) ++j;
    if (j >= s.size() || s[j] != ')') return false;
    char* end = nullptr;
    const double weight = std::strtod(number.c_str(), &end);
    if (end != number.c_str() + number.size()) return false;  // "1.2.3", "." : not a number, literal text
    close(round_, weight);
    i = j + 1;
    return true;
  }

  void close(std::vector<size_t>& stack, double multiplier) {
    flush();
    multiply_from(stack.back(), multiplier);
    stack.pop_back();
  }

  void multiply_from(size_t start, double multiplier) {
    for (size_t k = start; k < out_.size(); ++k)
      if (!out_[k].is_break) out_[k].weight *= multiplier;
  }

  // Emits the pending literal text, split at BREAK words (with the whitespace around them).
  void flush() {
    const std::string& t = literal_;
    size_t piece = 0;
    for (size_t k = 0; k + 5 <= t.size(); ++k) {
      if (t.compare(k, 5, "BREAK") != 0) continue;
      const bool starts_word = k == 0 || !is_word_byte(static_cast<unsigned char>(t[k - 1]));
      const bool ends_word = k + 5 == t.size() || !is_word_byte(static_cast<unsigned char>(t[k + 5]));
      if (!starts_word || !ends_word) continue;
      size_t before = k, after = k + 5;
      while (before > piece && is_space(static_cast<unsigned char>(t[before - 1]))) --before;
      while (after < t.size() && is_space(static_cast<unsigned char>(t[after]))) ++after;
      out_.push_back({t.substr(piece, before - piece), 1.0, false});
      out_.push_back({"", 1.0, true});
      piece = after;
      k = after - 1;
    }
    if (piece < t.size()) out_.push_back({t.substr(piece), 1.0, false});
    literal_.clear();
  }

  std::vector<WeightedText> merged() const {
    std::vector<WeightedText> out;
    for (const auto& w : out_) {
      if (!w.is_break && w.text.empty()) continue;
      if (!out.empty() && !w.is_break && !out.back().is_break && out.back().weight == w.weight)
        out.back().text += w.text;
      else
        out.push_back(w);
    }
    if (out.empty()) out.push_back({"", 1.0, false});
    return out;
  }

  std::string literal_;
  std::vector<WeightedText> out_;
  std::vector<size_t> round_, square_;  // positions in out_ where an open bracket's range starts
};

}  // namespace

std::vector<WeightedText> parse_prompt_emphasis(const std::string& prompt) { return Parser().run(prompt); }

at::Tensor apply_emphasis(const at::Tensor& hidden, const std::vector<float>& weights) {
  if (std::all_of(weights.begin(), weights.end(), [](float w) { return w == 1.0f; })) return hidden;
  TORCH_CHECK(hidden.dim() == 2 && hidden.size(0) == static_cast<int64_t>(weights.size()),
              "apply_emphasis: hidden ", hidden.sizes(), " vs ", weights.size(), " weights");
  const at::Tensor z = hidden.to(at::kFloat);
  const at::Tensor w = at::tensor(weights, z.options()).unsqueeze(1);
  const at::Tensor original_mean = z.mean();
  const at::Tensor weighted = z * w;
  const at::Tensor new_mean = weighted.mean();
  if (new_mean.item<float>() == 0.0f) return hidden;
  return (weighted * (original_mean / new_mean)).to(hidden.scalar_type());
}

}  // namespace sdxl
