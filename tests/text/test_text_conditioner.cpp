// SDXL prompt encoding (diffusers encode_prompt rules) against text_golden.safetensors, plus the
// invariants of long-prompt chunking, emphasis and the prompt cache.
#include <gtest/gtest.h>

#include "common/error.h"
#include "text/prompt_emphasis.h"
#include "text_fixtures.h"

namespace sdxl {
namespace {

using test::AllClose;
using test::kTextAtol;

std::optional<std::string> optional_arg(const nlohmann::json& kwargs, const char* key, size_t row) {
  if (!kwargs.contains(key) || kwargs[key].is_null()) return std::nullopt;
  const auto& v = kwargs[key];
  return v.is_array() ? v.at(row).get<std::string>() : v.get<std::string>();
}

// The rows of a text_golden.json case: kwargs may hold strings or per-row lists.
std::vector<PromptRequest> case_rows(const nlohmann::json& kwargs) {
  const size_t rows = kwargs["prompt"].is_array() ? kwargs["prompt"].size() : 1;
  std::vector<PromptRequest> out;
  for (size_t r = 0; r < rows; ++r)
    out.push_back({*optional_arg(kwargs, "prompt", r), optional_arg(kwargs, "prompt_2", r),
                   optional_arg(kwargs, "negative_prompt", r), optional_arg(kwargs, "negative_prompt_2", r)});
  return out;
}

TEST(TextConditioner, EveryGoldenPromptBaseAndRefiner) {
  TextConditioner base = test::tiny_conditioner(ModelKind::Base, true);
  TextConditioner refiner = test::tiny_conditioner(ModelKind::Refiner, false);
  double worst = 0;
  for (const auto& p : test::text_golden_json()["prompts"]) {
    const std::string name = p["name"];
    SCOPED_TRACE(name);
    for (auto* conditioner : {&base, &refiner}) {
      const std::string pre = name + (conditioner == &base ? ".base." : ".refiner.");
      const EncodedPrompts e = conditioner->encode({p["prompt"].get<std::string>()}, /*with_negative=*/false);
      EXPECT_TRUE(AllClose(pre + "context", e.positive.context, test::text_golden(pre + "context"), kTextAtol));
      EXPECT_TRUE(AllClose(pre + "pooled", e.positive.pooled, test::text_golden(pre + "pooled"), kTextAtol));
      EXPECT_EQ(e.positive.context.scalar_type(), at::kFloat);
      EXPECT_EQ(e.positive.context.size(2), conditioner == &base ? 32 + 48 : 48) << "the encoders' widths side by side";
      EXPECT_FALSE(e.negative.context.defined());
      EXPECT_EQ(!e.warnings.empty(), p["truncated"].get<bool>()) << (e.warnings.empty() ? "" : e.warnings[0]);
      worst = std::max({worst, test::max_abs_diff(e.positive.context, test::text_golden(pre + "context")),
                        test::max_abs_diff(e.positive.pooled, test::text_golden(pre + "pooled"))});
    }
  }
  std::printf("[ conditioner ] max abs diff vs golden prompts: %.3g\n", worst);
}

TEST(TextConditioner, EveryEncodePromptCase) {
  const auto& cases = test::text_golden_json()["cases"];
  ASSERT_EQ(cases.size(), 8u);
  double worst = 0;
  for (const auto& [name, c] : cases.items()) {
    SCOPED_TRACE("case " + name);
    const auto& kwargs = c["kwargs"];
    const bool refiner = kwargs.value("refiner", false);
    const bool force_zeros = kwargs.value("force_zeros_for_empty_prompt", !refiner);
    TextConditioner conditioner = test::tiny_conditioner(refiner ? ModelKind::Refiner : ModelKind::Base, force_zeros);
    const EncodedPrompts e = conditioner.encode(case_rows(kwargs));
    const std::string pre = "case." + name + ".";
    const std::pair<const char*, const at::Tensor*> outputs[] = {{"context", &e.positive.context},
                                                                 {"pooled", &e.positive.pooled},
                                                                 {"negative_context", &e.negative.context},
                                                                 {"negative_pooled", &e.negative.pooled}};
    for (const auto& [key, got] : outputs) {
      const at::Tensor& want = test::text_golden(pre + key);
      EXPECT_TRUE(AllClose(pre + key, *got, want, kTextAtol));
      worst = std::max(worst, test::max_abs_diff(*got, want));
    }
    if (c["effective_negative_inputs"] == "zeros") {
      EXPECT_EQ(e.negative.context.abs().max().item<float>(), 0.0f) << "negative context must be exact zeros";
      EXPECT_EQ(e.negative.pooled.abs().max().item<float>(), 0.0f) << "negative pooled must be exact zeros";
    }
    if (name == "refiner_ignores_prompt2") {
      EXPECT_EQ(e.warnings.size(), 2u) << "prompt_2 and negative_prompt_2 ignored";
    }
    if (name == "base_batch2") {
      ASSERT_EQ(e.warnings.size(), 1u) << "the long prompt is truncated";
      EXPECT_NE(e.warnings[0].find("dropped: \""), std::string::npos) << e.warnings[0];
    }
  }
  std::printf("[ encode_prompt cases ] max abs diff vs golden: %.3g\n", worst);
}

TEST(TextConditioner, ChunkModeOnShortPromptsEqualsTruncateMode) {
  TextConditioner truncate = test::tiny_conditioner(ModelKind::Base, true);
  TextConditioner chunk = test::tiny_conditioner(ModelKind::Base, true, LongPromptMode::Chunk);
  for (const char* prompt : {"a photograph of an astronaut riding a horse", ""}) {
    const PromptRequest row{prompt, std::nullopt, std::string("blurry"), std::nullopt};
    const EncodedPrompts a = truncate.encode(row), b = chunk.encode(row);
    EXPECT_TRUE(AllClose("context", b.positive.context, a.positive.context, 0));
    EXPECT_TRUE(AllClose("pooled", b.positive.pooled, a.positive.pooled, 0));
    EXPECT_TRUE(AllClose("negative context", b.negative.context, a.negative.context, 0));
  }
  // Exactly 75 tokens still fits one chunk.
  const std::string prompt_75 = test::text_golden_json()["prompts"][6]["prompt"];
  ASSERT_EQ(test::text_golden_json()["prompts"][6]["name"], "exactly_75_tokens");
  EXPECT_EQ(chunk.encode({prompt_75}).positive.context.size(1), 77);
}

TEST(TextConditioner, ChunkModeKeepsLongPrompts) {
  TextConditioner truncate = test::tiny_conditioner(ModelKind::Base, true);
  TextConditioner chunk = test::tiny_conditioner(ModelKind::Base, true, LongPromptMode::Chunk);
  std::string long_prompt;
  for (int i = 0; i < 80; ++i) long_prompt += "cat ";
  long_prompt += "wearing a hat";
  const PromptRequest row{long_prompt, std::nullopt, std::string("blurry"), std::nullopt};
  const EncodedPrompts t = truncate.encode(row), c = chunk.encode(row);
  ASSERT_EQ(t.warnings.size(), 1u);
  EXPECT_NE(t.warnings[0].find("\"cat cat cat cat cat wearing a hat\""), std::string::npos) << t.warnings[0];
  EXPECT_TRUE(c.warnings.empty());
  ASSERT_EQ(c.positive.context.sizes(), (std::vector<int64_t>{1, 154, 80}));
  ASSERT_EQ(c.negative.context.sizes(), (std::vector<int64_t>{1, 154, 80})) << "negative padded to 2 chunks";
  // Chunk 0 is the truncated prompt; pooled comes from it; chunk 1 is "cat x5 wearing a hat" on its own.
  EXPECT_TRUE(AllClose("chunk 0", c.positive.context.slice(1, 0, 77), t.positive.context, 0));
  EXPECT_TRUE(AllClose("pooled", c.positive.pooled, t.positive.pooled, 0));
  const EncodedPrompts tail = truncate.encode({"cat cat cat cat cat wearing a hat"});
  EXPECT_TRUE(AllClose("chunk 1", c.positive.context.slice(1, 77, 154), tail.positive.context, 0));
  // The negative's second chunk is the encoding of "".
  const EncodedPrompts empty = truncate.encode({""});
  EXPECT_TRUE(AllClose("negative chunk 1", c.negative.context.slice(1, 77, 154), empty.positive.context, 0));
  // An absent negative (force zeros) is zeros of the same length.
  const EncodedPrompts z = chunk.encode({long_prompt});
  EXPECT_EQ(z.negative.context.sizes(), c.positive.context.sizes());
  EXPECT_EQ(z.negative.context.abs().max().item<float>(), 0.0f);
}

// The same encoders with literal prompts and with the emphasis syntax.
class TextConditionerEmphasis : public ::testing::Test {
 protected:
  TextConditioner plain = test::tiny_conditioner(ModelKind::Base, true);
  TextConditioner emphasis =
      test::tiny_conditioner(ModelKind::Base, true, LongPromptMode::Truncate, PromptSyntax::Emphasis);
};

TEST_F(TextConditionerEmphasis, WeightOneIsPlainText) {
  const EncodedPrompts a = plain.encode({"a cat, photo"});
  const EncodedPrompts b = emphasis.encode({"(a cat:1.0), photo"});
  EXPECT_TRUE(AllClose("context", b.positive.context, a.positive.context, 0));
  EXPECT_TRUE(AllClose("pooled", b.positive.pooled, a.positive.pooled, 0));
  // Plain text parses to itself under the emphasis syntax.
  const std::string golden = test::text_golden_json()["prompts"][0]["prompt"];
  EXPECT_TRUE(AllClose("golden prompt", emphasis.encode({golden}).positive.context,
                       test::text_golden("astronaut.base.context"), kTextAtol));
}

TEST_F(TextConditionerEmphasis, ScalesTokensAndRestoresTheChunkMean) {
  // "a (cat:1.5) photo": tokens bos, a, cat, photo, eos, pads -> weights 1, 1, 1.5, 1, 1, ...
  const EncodedPrompts a = plain.encode({"a cat photo"});
  const EncodedPrompts b = emphasis.encode({"a (cat:1.5) photo"});
  EXPECT_TRUE(AllClose("pooled is not emphasised", b.positive.pooled, a.positive.pooled, 0));
  std::vector<float> weights(77, 1.0f);
  weights[2] = 1.5f;
  for (auto [begin, end] : {std::pair<int64_t, int64_t>{0, 32}, {32, 80}}) {  // each encoder separately
    const at::Tensor z = a.positive.context[0].slice(1, begin, end), got = b.positive.context[0].slice(1, begin, end);
    const at::Tensor weighted = z * at::tensor(weights).unsqueeze(1);
    const at::Tensor want = weighted * (z.mean() / weighted.mean());
    EXPECT_TRUE(AllClose("emphasised encoder slice", got, want, 1e-6));
    EXPECT_NEAR(got.mean().item<double>(), z.mean().item<double>(), 1e-6) << "chunk mean restored";
    EXPECT_FALSE(AllClose("token 2 changed", got[2], z[2], 1e-3));
  }
  // BREAK starts a new chunk (chunk mode): "a cat BREAK photo" = encodings of "a cat" and "photo".
  TextConditioner chunked = test::tiny_conditioner(ModelKind::Base, true, LongPromptMode::Chunk, PromptSyntax::Emphasis);
  const at::Tensor broken = chunked.encode({"a cat BREAK photo"}).positive.context;
  ASSERT_EQ(broken.size(1), 154);
  EXPECT_TRUE(AllClose("BREAK chunk 0", broken.slice(1, 0, 77), plain.encode({"a cat"}).positive.context, 0));
  EXPECT_TRUE(AllClose("BREAK chunk 1", broken.slice(1, 77, 154), plain.encode({"photo"}).positive.context, 0));
}

// The cache seen from outside: after the encoders' weights are zeroed, a prompt encoded before still gives its
// first encoding (its chunks are not run again), a new prompt runs on the zeroed weights, and after
// clear_cache() every prompt does.
TEST(TextConditioner, CacheEncodesEachPromptOnceUntilCleared) {
  TextConditioner conditioner = test::tiny_conditioner(ModelKind::Base, false);
  const PromptRequest cat{"a cat", std::nullopt, std::string("blurry"), std::nullopt};
  const EncodedPrompts first = conditioner.encode(cat);
  {
    at::NoGradGuard no_grad;
    for (TextEncoder& e : conditioner.encoders())
      for (at::Tensor p : e.model->parameters()) p.zero_();
  }
  const EncodedPrompts again = conditioner.encode(cat);
  EXPECT_TRUE(AllClose("cached context", again.positive.context, first.positive.context, 0));
  EXPECT_TRUE(AllClose("cached negative", again.negative.context, first.negative.context, 0));
  const at::Tensor dog = test::tiny_conditioner(ModelKind::Base, false).encode({"a dog"}).positive.context;
  EXPECT_FALSE(AllClose("a new prompt runs the encoders", conditioner.encode({"a dog"}).positive.context, dog, 1e-3));
  conditioner.clear_cache();
  EXPECT_FALSE(AllClose("after clear_cache", conditioner.encode(cat).positive.context, first.positive.context, 1e-3));
  EXPECT_THROW(conditioner.encode({"caf\xE9"}), Error);  // invalid UTF-8
}

TEST(TextConditioner, RejectsWrongEncoderSets) {
  auto enc1 = [] { return test::tiny_text_encoder("text_encoder", "tokenizer"); };
  auto enc2 = [] { return test::tiny_text_encoder("text_encoder_2", "tokenizer_2"); };
  EXPECT_THROW(TextConditioner({enc2()}, {ModelKind::Base}), Error);
  EXPECT_THROW(TextConditioner({enc2(), enc1()}, {ModelKind::Base}), Error) << "pooled needs a projection last";
  EXPECT_THROW(TextConditioner({enc1()}, {ModelKind::Refiner}), Error);
}

TEST(PromptEmphasis, ParsesTheWebUiSyntax) {
  auto parse = [](const std::string& s) {
    std::string out;
    for (const auto& w : parse_prompt_emphasis(s)) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.4g", w.weight);
      out += w.is_break ? std::string("|BREAK|") : "[" + w.text + ":" + buf + "]";
    }
    return out;
  };
  EXPECT_EQ(parse(""), "[:1]");
  EXPECT_EQ(parse("a cat"), "[a cat:1]");
  EXPECT_EQ(parse("a (cat) photo"), "[a :1][cat:1.1][ photo:1]");
  EXPECT_EQ(parse("((cat))"), "[cat:1.21]");
  EXPECT_EQ(parse("[cat]"), "[cat:0.9091]");
  EXPECT_EQ(parse("(cat:1.3)"), "[cat:1.3]");
  EXPECT_EQ(parse("(cat: 0.5 ) dog"), "[cat:0.5][ dog:1]");
  EXPECT_EQ(parse("((cat:1.5) dog)"), "[cat:1.65][ dog:1.1]");
  EXPECT_EQ(parse("(a [b] c)"), "[a :1.1][b:1][ c:1.1]");
  EXPECT_EQ(parse("\\(not weighted\\) \\\\"), "[(not weighted) \\:1]");
  EXPECT_EQ(parse("a \\cat"), "[a \\cat:1]");
  EXPECT_EQ(parse("unclosed (cat"), "[unclosed :1][cat:1.1]");
  EXPECT_EQ(parse("stray) and ] here"), "[stray) and ] here:1]");
  EXPECT_EQ(parse("ratio 16:9, (cat:1.2.3)"), "[ratio 16:9, :1][cat:1.2.3:1.1]");
  EXPECT_EQ(parse("time: 5)"), "[time: 5):1]");
  EXPECT_EQ(parse("(cat:1.0) dog"), "[cat dog:1]");
  EXPECT_EQ(parse("a cat BREAK a dog"), "[a cat:1]|BREAK|[a dog:1]");
  EXPECT_EQ(parse("BREAKFAST, BREAK_ME, break"), "[BREAKFAST, BREAK_ME, break:1]");
  EXPECT_EQ(parse("(a BREAK b)"), "[a:1.1]|BREAK|[b:1.1]");
  EXPECT_EQ(parse("x:BREAK"), "[x::1]|BREAK|");
}

TEST(PromptEmphasis, ApplyEmphasisFormula) {
  const at::Tensor z = at::arange(1, 13, at::kFloat).view({3, 4});
  EXPECT_TRUE(AllClose("all ones", apply_emphasis(z, {1, 1, 1}), z, 0));
  EXPECT_TRUE(AllClose("no weights", apply_emphasis(z, {}), z, 0));
  const at::Tensor got = apply_emphasis(z, {1, 2, 1});
  const at::Tensor weighted = z * at::tensor({1.0f, 2.0f, 1.0f}).unsqueeze(1);
  EXPECT_TRUE(AllClose("formula", got, weighted * (z.mean() / weighted.mean()), 1e-6));
  EXPECT_NEAR(got.mean().item<double>(), z.mean().item<double>(), 1e-5);
}

}  // namespace
}  // namespace sdxl
