// CLIP BPE tokenizer against tests/fixtures/tokenizer/tokenizer_golden.json (every prompt, every step),
// plus the Python behaviours the goldens do not reach (html.unescape corners, final sigma, invalid UTF-8).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <random>

#ifdef SDXL_HAVE_SENTENCEPIECE
#include <sentencepiece_trainer.h>
#endif

#include "common/error.h"
#include "io/atomic_file.h"
#include "test_util.h"
#include "text/clip_bpe_tokenizer.h"
#include "text/clip_text_cleaning.h"
#include "text/html_unescape.h"
#include "text/tokenizer.h"
#include "text/unicode.h"

namespace sdxl {
namespace {

nlohmann::json tokenizer_golden() {
  static const nlohmann::json golden =
      nlohmann::json::parse(io::read_file(test::fixture("tokenizer/tokenizer_golden.json")));
  return golden;
}

// SDXL's pairing: tokenizer/ cleans like transformers' CLIPTokenizer, tokenizer_2/ like open_clip.
std::shared_ptr<const Tokenizer> fixture_tokenizer(const char* folder) {
  const auto cleaning = std::string(folder) == "tokenizer" ? text::ClipCleaning::Transformers : text::ClipCleaning::OpenClip;
  return load_tokenizer(test::fixture(std::string("tiny-sdxl/") + folder), cleaning, test::tiny_context_length());
}

// Deletes the named files of a scratch folder, then the folder. (std::filesystem::remove_all binds to a
// copy exported by libtorch.so that segfaults, so it is avoided.)
void remove_scratch(const std::filesystem::path& dir, std::initializer_list<const char*> names) {
  for (const char* name : names) std::remove((dir / name).c_str());
  std::remove(dir.c_str());
}

std::string unescape(const std::string& s) { return text::u32_to_utf8(text::html_unescape(text::utf8_to_u32(s))); }
std::string lower(const std::string& s) { return text::u32_to_utf8(text::python_lower(text::utf8_to_u32(s))); }

// The golden follows open_clip (encoder 2's reference) step by step; encoder 1's reference (transformers'
// CLIPTokenizer) differs exactly on the prompts flagged `hf_clip_tokenizer_differs` (no double
// html.unescape), which tests/text/data/clean_golden.json covers for it.
TEST(ClipTokenizer, EveryGoldenPromptStepByStep) {
  const auto golden = tokenizer_golden();
  auto enc1 = fixture_tokenizer("tokenizer"), enc2 = fixture_tokenizer("tokenizer_2");
  const auto& clip = dynamic_cast<const ClipBpeTokenizer&>(*enc2);
  ASSERT_EQ(enc1->bos_id(), golden["bos_id"].get<int>());
  ASSERT_EQ(enc1->eos_id(), golden["eos_id"].get<int>());
  ASSERT_EQ(enc1->pad_id(), golden["pad_id_enc1"].get<int>());
  ASSERT_EQ(enc2->pad_id(), golden["pad_id_enc2"].get<int>());
  ASSERT_GE(golden["prompts"].size(), 50u);
  int enc1_checked = 0;
  for (const auto& p : golden["prompts"]) {
    const std::string name = p["name"], prompt = p["prompt"];
    SCOPED_TRACE("prompt '" + name + "'");
    EXPECT_EQ(text::u32_to_utf8(text::clip_clean_text(prompt, clip.cleaning())), p["cleaned"].get<std::string>())
        << "step 1-2 (clean)";
    EXPECT_EQ(clip.words(prompt), p["words"].get<std::vector<std::string>>()) << "step 3 (pre-tokenize)";
    EXPECT_EQ(clip.bpe_tokens(prompt), p["bpe_tokens"].get<std::vector<std::string>>()) << "step 4-5 (BPE)";
    const auto ids = enc2->encode(prompt);
    EXPECT_EQ(ids, p["ids"].get<std::vector<int>>()) << "step 6 (ids)";
    EXPECT_EQ(static_cast<int>(ids.size()), p["num_ids"].get<int>());

    const TokenizedPrompt t1 = enc1->tokenize(prompt), t2 = enc2->tokenize(prompt);
    EXPECT_EQ(t2.ids77, p["enc2_input_ids"].get<std::vector<int64_t>>()) << "text_encoder_2 input";
    EXPECT_EQ(t2.length + 1, p["eos_index"].get<int>());
    EXPECT_EQ(!t2.dropped.empty(), p["truncated"].get<bool>()) << "dropped='" << t2.dropped << "'";
    const auto flags = p["flags"].get<std::vector<std::string>>();
    if (std::find(flags.begin(), flags.end(), "hf_clip_tokenizer_differs") != flags.end()) continue;
    ++enc1_checked;
    EXPECT_EQ(t1.ids77, p["enc1_input_ids"].get<std::vector<int64_t>>()) << "text_encoder input";
  }
  EXPECT_EQ(enc1_checked, static_cast<int>(golden["prompts"].size()) - 2);
}

TEST(ClipTokenizer, BundledVocabularyEqualsFixture) {
  auto bundled = bundled_clip_tokenizer(0, test::tiny_context_length(), text::ClipCleaning::OpenClip);
  auto fixture = fixture_tokenizer("tokenizer_2");
  EXPECT_EQ(bundled->pad_id(), 0);
  EXPECT_EQ(bundled_clip_tokenizer(49407, test::tiny_context_length(), text::ClipCleaning::Transformers)->pad_id(), 49407);
  const auto golden = tokenizer_golden();  // kept alive: a range-for over a temporary's member dangles
  for (const auto& p : golden["prompts"]) {
    const std::string prompt = p["prompt"];
    EXPECT_EQ(bundled->tokenize(prompt).ids77, fixture->tokenize(prompt).ids77) << p["name"];
  }
}

TEST(ClipTokenizer, TruncationKeepsFirst75AndReportsTheRest) {
  auto tok = fixture_tokenizer("tokenizer");
  std::string prompt;
  for (int i = 0; i < 75; ++i) prompt += "cat ";
  prompt += "dog on a sofa";
  const TokenizedPrompt t = tok->tokenize(prompt);
  EXPECT_EQ(t.length, 75);
  EXPECT_EQ(t.ids77.size(), 77u);
  EXPECT_EQ(t.ids77.back(), tok->eos_id());
  EXPECT_EQ(t.dropped, "dog on a sofa");
  EXPECT_EQ(tok->tokenize("a cat").dropped, "");
  EXPECT_EQ(tok->decode(tok->encode("A Photograph of an ASTRONAUT, riding!")), "a photograph of an astronaut , riding !");
  EXPECT_EQ(tok->decode(tok->encode("\xE6\x9D\xB1\xE4\xBA\xAC caf\xC3\xA9")), "\xE6\x9D\xB1\xE4\xBA\xAC caf\xC3\xA9");
}

TEST(ClipTokenizer, InvalidUtf8IsAnErrorNotACrash) {
  auto tok = fixture_tokenizer("tokenizer");
  for (const std::string bad : {std::string("caf\xE9"), std::string("\xC3"), std::string("\xC0\xAF"),  // Latin-1, cut, overlong
                                std::string("\xED\xA0\x80"), std::string("\xF4\x90\x80\x80"),       // surrogate, > U+10FFFF
                                std::string("a\x80" "b"), std::string("\xF0\x9F\x98"), std::string("\xFF")}) {
    EXPECT_THROW(tok->encode(bad), Error) << "bytes of length " << bad.size();
  }
  try {
    tok->encode("ok \xE9");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("offset 3"), std::string::npos) << e.what();
  }
}

TEST(ClipTokenizer, RandomBytesEncodeOrThrowSdxlError) {
  auto tok = fixture_tokenizer("tokenizer");
  std::mt19937 rng(20240613);
  const std::string alphabet = "&#;x'sa (:)\xC3\xA9\xCE\xA3\xF0\x9F\x98\x80\x80\xFF";
  int valid = 0;
  for (int i = 0; i < 2000; ++i) {
    std::string s;
    for (int k = std::uniform_int_distribution<int>(0, 24)(rng); k > 0; --k)
      s.push_back(i % 2 ? static_cast<char>(rng()) : alphabet[rng() % alphabet.size()]);
    try {
      for (int id : tok->encode(s)) ASSERT_TRUE(id >= 0 && id < 49406) << id;
      ++valid;
    } catch (const Error&) {
    }
  }
  EXPECT_GT(valid, 100);
}

TEST(ClipTokenizer, LoadErrorsNameThePath) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / "sdxl_text_tokenizer_test";
  remove_scratch(dir, {"vocab.json", "merges.txt"});
  fs::create_directories(dir);
  try {
    load_tokenizer(dir.string(), text::ClipCleaning::OpenClip, test::tiny_context_length());
    FAIL() << "empty folder loaded";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(dir.string()), std::string::npos) << e.what();
  }
  io::write_file_atomic((dir / "vocab.json").string(), "{\"a\": 0, \"b\": 0}");
  io::write_file_atomic((dir / "merges.txt").string(), "#version: 0.2\na b\n");
  EXPECT_THROW(load_tokenizer(dir.string(), text::ClipCleaning::OpenClip, test::tiny_context_length()), Error);
  EXPECT_THROW(load_tokenizer((dir / "missing").string(), text::ClipCleaning::OpenClip, test::tiny_context_length()), Error);
  remove_scratch(dir, {"vocab.json", "merges.txt"});
}

// The model input's length is the folder's model_max_length (transformers' tokenizer.model_max_length,
// what diffusers pads to), else the fallback the caller got from the text encoder config.
TEST(ClipTokenizer, ContextLengthFromTokenizerConfig) {
  namespace fs = std::filesystem;
  EXPECT_EQ(fixture_tokenizer("tokenizer")->tokenize("a cat").ids77.size(),
            size_t(test::read_json(test::fixture("tiny-sdxl/tokenizer/tokenizer_config.json")).at("model_max_length")));
  const fs::path dir = fs::temp_directory_path() / "sdxl_text_context_length_test";
  remove_scratch(dir, {"vocab.json", "merges.txt", "tokenizer_config.json"});
  fs::create_directories(dir);
  for (const char* name : {"vocab.json", "merges.txt"})
    io::write_file_atomic((dir / name).string(), io::read_file(test::fixture(std::string("tokenizer/") + name)));
  EXPECT_EQ(load_tokenizer(dir.string(), text::ClipCleaning::OpenClip, 9)->tokenize("a cat").ids77.size(), 9u);
  io::write_file_atomic((dir / "tokenizer_config.json").string(), "{\"model_max_length\": 6}");
  const auto tok = load_tokenizer(dir.string(), text::ClipCleaning::OpenClip, 9);
  const TokenizedPrompt t = tok->tokenize("a photo of a red cat");
  EXPECT_EQ(t.ids77.size(), 6u);
  EXPECT_EQ(t.length, 4);
  EXPECT_NE(t.dropped, "");
  // Longer than the encoder's position table: an input error naming the file.
  EXPECT_NE(test::error_of([&] { load_tokenizer(dir.string(), text::ClipCleaning::OpenClip, 5); }).find("tokenizer_config.json"),
            std::string::npos);
  remove_scratch(dir, {"vocab.json", "merges.txt", "tokenizer_config.json"});
}

// The committed tokenizer folders hold git-symlink placeholders (vocab.json contains
// "../../tokenizer/vocab.json"); the loader does not follow them: the file is simply not JSON.
TEST(ClipTokenizer, GitLinkPlaceholderIsNotJson) {
  const std::string dir = std::string(SDXL_SOURCE_DIR) + "/tests/fixtures/tiny-sdxl/tokenizer";
  const auto e = test::error_thrown([&] { load_tokenizer(dir, text::ClipCleaning::OpenClip, test::tiny_context_length()); });
  ASSERT_TRUE(e) << "a placeholder vocab.json was loaded";
  const std::string msg = e->what();
  EXPECT_EQ(e->category(), ErrorCategory::Input);
  EXPECT_NE(msg.find(dir + "/vocab.json: "), std::string::npos) << msg;
  EXPECT_NE(msg.find("JSON"), std::string::npos) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
}

#ifdef SDXL_HAVE_SENTENCEPIECE
TEST(SentencePieceTokenizer, SelectedWhenTheFolderHasTokenizerModel) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / "sdxl_text_spm_test";
  remove_scratch(dir, {"corpus.txt", "tokenizer.model", "tokenizer.vocab"});
  fs::create_directories(dir);
  std::string corpus;
  for (int i = 0; i < 200; ++i) corpus += "a photograph of an astronaut riding a horse on the moon number " + std::to_string(i) + "\n";
  io::write_file_atomic((dir / "corpus.txt").string(), corpus);
  const auto status = sentencepiece::SentencePieceTrainer::Train(
      "--input=" + (dir / "corpus.txt").string() + " --model_prefix=" + (dir / "tokenizer").string() +
      " --vocab_size=60 --model_type=bpe --minloglevel=2 --pad_id=3");
  ASSERT_TRUE(status.ok()) << status.ToString();
  auto tok = load_tokenizer(dir.string(), text::ClipCleaning::OpenClip, test::tiny_context_length());
  EXPECT_NE(tok->describe().find("SentencePiece"), std::string::npos);
  EXPECT_EQ(tok->pad_id(), 3);
  const auto ids = tok->encode("a horse on the moon");
  ASSERT_FALSE(ids.empty());
  EXPECT_EQ(tok->decode(ids), "a horse on the moon");
  const TokenizedPrompt t = tok->tokenize("a horse on the moon");
  EXPECT_EQ(t.ids77.front(), tok->bos_id());
  EXPECT_EQ(t.ids77[t.length + 1], tok->eos_id());
  EXPECT_EQ(t.ids77.back(), 3);
  EXPECT_THROW(tok->encode("caf\xE9"), Error);
  remove_scratch(dir, {"corpus.txt", "tokenizer.model", "tokenizer.vocab"});
}
#endif

// Expected values from CPython's html.unescape and str.lower, written by tests/cited/make_cited_values.py.
const nlohmann::json& cited() {
  static const nlohmann::json j = test::read_json(std::string(SDXL_SOURCE_DIR) + "/tests/cited/cited_values.json");
  return j;
}

TEST(ClipTokenizer, HtmlUnescapeMatchesPython) {
  ASSERT_EQ(cited().at("html_unescape").size(), 30u);
  for (const auto& c : cited().at("html_unescape"))
    EXPECT_EQ(unescape(c[0].get<std::string>()), c[1].get<std::string>()) << "html.unescape('" << c[0] << "')";
}

TEST(ClipTokenizer, LowercaseMatchesPython) {
  // Final sigma only at the end of a cased word ("'" is case-ignorable); U+0130 -> i + U+0307; U+1E9E, Kelvin,
  // Roman XII, Deseret.
  ASSERT_EQ(cited().at("lower").size(), 3u);
  for (const auto& c : cited().at("lower"))
    EXPECT_EQ(lower(c[0].get<std::string>()), c[1].get<std::string>()) << c[0];
  EXPECT_STREQ(text::unicode_version(), "14.0.0");
}

TEST(ClipTokenizer, PreTokenizerQuirksOfTheRegexModule) {
  auto words = [](const std::string& s) {
    std::vector<std::string> out;
    const auto flavour = text::ClipCleaning::OpenClip;
    for (const auto& w : text::clip_pretokenize(text::clip_clean_text(s, flavour), flavour))
      out.push_back(text::u32_to_utf8(w));
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(words("x'\xC5\xBFt ''s 'twas 'lls"), (V{"x", "'\xC5\xBF", "t", "''", "s", "'t", "was", "'ll", "s"}));
  EXPECT_EQ(words("a\xCD\x85" "b 12"), (V{"a", "b", "1", "2"}));  // U+0345 matches no alternative
  // ftfy removes U+001C (str.strip() would have trimmed it, the \s of `regex` not) and reads U+0085 as
  // Windows-1252's ellipsis before anything else could see it.
  EXPECT_EQ(words("\x1C" "a\x1C" "b\xC2\x85" "c"), (V{"ab", "\xE2\x80\xA6", "c"}));
}

}  // namespace
}  // namespace sdxl
