// Textual-inversion embeddings against diffusers load_textual_inversion on both encoders
// (tests/adapters/data/make_embedding_goldens.py): token ids and prompt embeddings, positive and negative.
#include <gtest/gtest.h>

#include "adapter_fixtures.h"
#include "adapters/embeddings.h"

namespace sdxl::test {
namespace {

const std::string kPrompt = "a photo of tinyemb on a table";

std::map<std::string, at::Tensor> embedding_goldens() { return load_golden_abs(adapter_data("embedding_goldens.safetensors")); }

TEST(Embeddings, TokenIdsAndPromptEmbeddingsMatchTheReference) {
  auto model = tiny_base();
  TextConditioner& text = model->ensure_text();
  add_embeddings(text, load_embeddings(adapter_data("embeddings")));
  add_embeddings(text, load_embeddings(adapter_data("embeddings")));  // a second call changes nothing
  const auto g = embedding_goldens();
  for (size_t e = 0; e < 2; ++e) {
    const TokenizedPrompt t = text.encoders()[e].tokenizer->tokenize(kPrompt);
    const at::Tensor want = g.at("ids_" + std::to_string(e + 1));
    ASSERT_EQ(static_cast<int64_t>(t.length) + 2, want.numel()) << "encoder " << e;
    for (int64_t i = 0; i < want.numel(); ++i) EXPECT_EQ(t.ids77[i], want[i].item<int64_t>()) << "encoder " << e << " token " << i;
    EXPECT_EQ(text.encoders()[e].tokenizer->decode({320, static_cast<int>(want[4].item<int64_t>()),
                                                    static_cast<int>(want[5].item<int64_t>()), 525}),
              "a tinyemb on");
  }
  c10::InferenceMode guard;
  EncodedPrompts out = text.encode(PromptRequest{kPrompt, std::nullopt, std::string("blurry, tinyemb"), std::nullopt});
  constexpr double kAtol = 1e-4;
  EXPECT_TRUE(AllClose("context", out.positive.context, g.at("context"), kAtol));
  EXPECT_TRUE(AllClose("pooled", out.positive.pooled, g.at("pooled"), kAtol));
  EXPECT_TRUE(AllClose("negative context", out.negative.context, g.at("negative_context"), kAtol));
  EXPECT_TRUE(AllClose("negative pooled", out.negative.pooled, g.at("negative_pooled"), kAtol));
  std::printf("[ max diff ] embeddings: context %.3g negative %.3g\n", max_abs_diff(out.positive.context, g.at("context")),
              max_abs_diff(out.negative.context, g.at("negative_context")));
}

TEST(Embeddings, OnlyWholeWordsAreReplaced) {
  auto model = tiny_base();
  TextConditioner& text = model->ensure_text();
  const auto plain = text.encoders()[0].tokenizer;
  add_embeddings(text, load_embeddings(adapter_data("embeddings")));
  const auto& tok = *text.encoders()[0].tokenizer;
  EXPECT_EQ(tok.encode("tinyembs and xtinyemb"), plain->encode("tinyembs and xtinyemb"));
  EXPECT_EQ(tok.encode("TinyEmb").size(), 2u);  // CLIP lowercases prompts: so does the name match
  EXPECT_NE(error_of([] { load_embeddings(adapter_data("no_such_folder")); }).find("not a folder"), std::string::npos);
}

}  // namespace
}  // namespace sdxl::test
