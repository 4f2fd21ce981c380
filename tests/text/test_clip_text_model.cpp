// CLIP text encoders (tiny-sdxl text_encoder / text_encoder_2) against text_golden.safetensors.
#include <gtest/gtest.h>

#include "common/error.h"
#include "text/clip_text_model.h"
#include "text_fixtures.h"

namespace sdxl {
namespace {

struct EncoderCase {
  const char* folder;
  const char* key;  // golden prefix enc1 / enc2
  CLIPTextConfig preset;
};

const EncoderCase kEncoders[] = {{"text_encoder", "enc1", test::tiny_text_encoder_config()},
                                 {"text_encoder_2", "enc2", test::tiny_text_encoder_2_config()}};

CLIPTextModel load(const EncoderCase& c) {
  return load_clip_text_model(test::tiny_text_weights(c.folder),
                              CLIPTextConfig::from_json(test::tiny_text_config(c.folder), c.folder), c.folder);
}

void expect_same_config(const CLIPTextConfig& a, const CLIPTextConfig& b) {
  EXPECT_EQ(a.hidden_size, b.hidden_size);
  EXPECT_EQ(a.num_hidden_layers, b.num_hidden_layers);
  EXPECT_EQ(a.num_attention_heads, b.num_attention_heads);
  EXPECT_EQ(a.intermediate_size, b.intermediate_size);
  EXPECT_EQ(a.hidden_act, b.hidden_act);
  EXPECT_EQ(a.layer_norm_eps, b.layer_norm_eps);
  EXPECT_EQ(a.max_position_embeddings, b.max_position_embeddings);
  EXPECT_EQ(a.vocab_size, b.vocab_size);
  EXPECT_EQ(a.projection_dim, b.projection_dim);
}

TEST(CLIPTextConfig, FromJsonMatchesPresetsAndRejectsBadValues) {
  for (const auto& c : kEncoders) {
    SCOPED_TRACE(c.folder);
    expect_same_config(CLIPTextConfig::from_json(test::tiny_text_config(c.folder)), c.preset);
  }
  EXPECT_EQ(test::sdxl_text_encoder_config("text_encoder").head_dim(), 64);
  EXPECT_EQ(test::sdxl_text_encoder_config("text_encoder_2").head_dim(), 64);
  auto config = test::tiny_text_config("text_encoder");
  config["hidden_act"] = "relu";
  EXPECT_THROW(CLIPTextConfig::from_json(config), Error);
  config = test::tiny_text_config("text_encoder");
  config["num_attention_heads"] = 5;
  EXPECT_THROW(CLIPTextConfig::from_json(config), Error);
  config["num_attention_heads"] = "2";
  EXPECT_THROW(CLIPTextConfig::from_json(config), Error);
}

TEST(CLIPTextModel, ParameterNamesAreTheCheckpointKeys) {
  for (const auto& c : kEncoders) {
    SCOPED_TRACE(c.folder);
    const StateDict weights = test::tiny_text_weights(c.folder);
    // Shape-only model on the meta device; every layer must be built in the requested options.
    CLIPTextModel model(c.preset, weights.count("text_projection.weight") > 0, at::device(at::kMeta).dtype(at::kHalf));
    std::map<std::string, std::vector<int64_t>> file_shapes;
    for (const auto& [name, t] : weights) file_shapes[name] = t.sizes().vec();
    EXPECT_EQ(module_shapes(*model), file_shapes);
    for (const auto& p : model->named_parameters()) {
      EXPECT_EQ(p.value().scalar_type(), at::kHalf) << p.key();
      EXPECT_TRUE(p.value().is_meta()) << p.key();
    }
  }
  EXPECT_FALSE(load(kEncoders[0])->has_projection());
  EXPECT_TRUE(load(kEncoders[1])->has_projection());
  // The single-file layout's position_ids buffer is accepted and ignored; anything else is reported.
  StateDict weights = test::tiny_text_weights("text_encoder");
  weights["text_model.embeddings.position_ids"] = at::arange(77).unsqueeze(0);
  EXPECT_NO_THROW(load_clip_text_model(weights, test::tiny_text_encoder_config(), "enc1"));
  weights.erase("text_model.final_layer_norm.bias");
  EXPECT_THROW(load_clip_text_model(weights, test::tiny_text_encoder_config(), "enc1"), Error);
}

TEST(CLIPTextModel, EveryGoldenPromptMatches) {
  c10::InferenceMode guard;
  const auto& prompts = test::text_golden_json()["prompts"];
  for (const auto& c : kEncoders) {
    CLIPTextModel model = load(c);
    double worst = 0;
    for (const auto& p : prompts) {
      const std::string pre = p["name"].get<std::string>() + "." + c.key + ".";
      SCOPED_TRACE(pre);
      const at::Tensor ids = test::text_golden(pre + "input_ids");
      EXPECT_EQ(ids.argmax(-1).item<int64_t>(), test::text_golden(pre + "eos_index").item<int64_t>());
      const CLIPTextOutput out = model->forward(ids);
      ASSERT_EQ(out.hidden_states.size(), static_cast<size_t>(c.preset.num_hidden_layers + 1));
      EXPECT_TRUE(test::AllClose(pre + "penultimate", out.penultimate(), test::text_golden(pre + "penultimate"), test::kTextAtol));
      EXPECT_TRUE(test::AllClose(pre + "last_hidden", out.last_hidden, test::text_golden(pre + "last_hidden"), test::kTextAtol));
      worst = std::max({worst, test::max_abs_diff(out.penultimate(), test::text_golden(pre + "penultimate")),
                        test::max_abs_diff(out.last_hidden, test::text_golden(pre + "last_hidden"))});
      if (model->has_projection()) {
        EXPECT_TRUE(test::AllClose(pre + "pooled", out.pooled, test::text_golden(pre + "pooled"), test::kTextAtol));
        worst = std::max(worst, test::max_abs_diff(out.pooled, test::text_golden(pre + "pooled")));
      }
      if (test::text_golden().count(pre + "hidden_states")) {
        const at::Tensor layers = test::text_golden(pre + "hidden_states");
        for (size_t i = 0; i < out.hidden_states.size(); ++i)
          EXPECT_TRUE(test::AllClose(pre + "hidden_states[" + std::to_string(i) + "]", out.hidden_states[i],
                                     layers[static_cast<int64_t>(i)], test::kTextAtol));
      }
    }
    std::printf("[ %s ] max abs diff vs golden over all prompts: %.3g\n", c.folder, worst);
  }
}

TEST(CLIPTextModel, BatchRowsAreIndependentAndHalfPrecisionRuns) {
  c10::InferenceMode guard;
  CLIPTextModel model = load(kEncoders[1]);
  const at::Tensor a = test::text_golden("astronaut.enc2.input_ids"), b = test::text_golden("contractions.enc2.input_ids");
  const CLIPTextOutput both = model->forward(at::cat({a, b}));
  EXPECT_TRUE(test::AllClose("row 1 penultimate", both.penultimate()[1], test::text_golden("contractions.enc2.penultimate")[0], test::kTextAtol));
  EXPECT_TRUE(test::AllClose("row 1 pooled", both.pooled[1], test::text_golden("contractions.enc2.pooled")[0], test::kTextAtol));
  // float16/bfloat16 weights (README: atol 1e-2 for a float16 engine).
  for (auto dtype : {at::kHalf, at::kBFloat16}) {
    CLIPTextModel low = load_clip_text_model(test::tiny_text_weights("text_encoder_2"), test::tiny_text_encoder_2_config(),
                                             "enc2", torch::kCPU, dtype);
    const CLIPTextOutput out = low->forward(a);
    EXPECT_EQ(out.pooled.scalar_type(), dtype);
    EXPECT_TRUE(test::AllClose("low precision pooled", out.pooled, test::text_golden("astronaut.enc2.pooled"),
                               dtype == at::kHalf ? 1e-2 : 5e-2));
  }
  EXPECT_THROW(model->forward(at::full({1, 77}, 49408, at::kLong)), Error);
  EXPECT_THROW(model->forward(at::zeros({1, 78}, at::kLong)), Error);
}

}  // namespace
}  // namespace sdxl
