// ftfy-equivalent text cleaning and the two reference tokenizers, against tests/text/data/clean_golden.json
// (made by tests/text/data/make_clean_golden.py with transformers + ftfy and open_clip 2.24).
#include <gtest/gtest.h>

#include <map>
#include <sstream>

#include "test_util.h"
#include "text/clip_bpe_tokenizer.h"
#include "text/text_fixes.h"
#include "text/tokenizer.h"
#include "text/unicode.h"
#include "text/unicode_normalization.h"

namespace sdxl {
namespace {

using text::ClipCleaning;

const nlohmann::json& clean_golden() {
  static const nlohmann::json golden = test::read_json(std::string(SDXL_SOURCE_DIR) + "/tests/text/data/clean_golden.json");
  return golden;
}

std::shared_ptr<const Tokenizer> encoder(int which) {
  return which == 1 ? load_tokenizer(test::fixture("tiny-sdxl/tokenizer"), ClipCleaning::Transformers, test::tiny_context_length())
                    : load_tokenizer(test::fixture("tiny-sdxl/tokenizer_2"), ClipCleaning::OpenClip, test::tiny_context_length());
}

std::vector<int> parse_ids(const std::string& text) {
  std::vector<int> ids;
  std::istringstream in(text);
  for (int id; in >> id;) ids.push_back(id);
  return ids;
}

std::string run_fix(const std::string& name, const std::string& utf8) {
  namespace f = text::ftfy_fixes;
  static const std::map<std::string, std::u32string (*)(const std::u32string&)> fixes = {
      {"unescape_html", f::unescape_html},
      {"fix_c1_controls", f::fix_c1_controls},
      {"fix_latin_ligatures", f::fix_latin_ligatures},
      {"fix_character_width", f::fix_character_width},
      {"uncurl_quotes", f::uncurl_quotes},
      {"fix_line_breaks", f::fix_line_breaks},
      {"remove_terminal_escapes", f::remove_terminal_escapes},
      {"remove_control_chars", f::remove_control_chars},
      {"nfc", text::nfc},
      {"fix_text", text::ftfy_fix_text},
  };
  return text::u32_to_utf8(fixes.at(name)(text::utf8_to_u32(utf8)));
}

// Each fix on its own (ftfy.fixes.*, NFC, and fix_text as a whole), one golden list per fix.
class FtfyFix : public ::testing::TestWithParam<const char*> {};

TEST_P(FtfyFix, MatchesFtfyOnGeneratedInputs) {
  const auto& cases = clean_golden()["fixes"][GetParam()];
  ASSERT_GE(cases.size(), 40u);
  int changed = 0;
  for (const auto& c : cases) {
    const std::string in = c[0], want = c[1];
    changed += in != want;
    EXPECT_EQ(run_fix(GetParam(), in), want) << "input: " << c[0].dump();
  }
  EXPECT_GT(changed, 0) << "the golden never exercises this fix";
}

INSTANTIATE_TEST_SUITE_P(Golden, FtfyFix,
                         ::testing::Values("unescape_html", "fix_c1_controls", "fix_latin_ligatures",
                                           "fix_character_width", "uncurl_quotes", "fix_line_breaks",
                                           "remove_terminal_escapes", "remove_control_chars", "nfc", "fix_text"));

// Every generated prompt: encoder 1 equals transformers' CLIPTokenizer with ftfy, encoder 2 open_clip's
// SimpleTokenizer, id for id. Mismatches are counted per category to make a failure readable.
TEST(CleanGolden, EveryPromptEqualsBothReferences) {
  const auto& golden = clean_golden();
  const auto enc1 = encoder(1), enc2 = encoder(2);
  ASSERT_GE(golden["prompts"].size(), 1000u);
  std::map<std::string, int> total, wrong;
  for (const auto& p : golden["prompts"]) {
    const std::string category = p[0], prompt = p[1], ids2 = p[3] == "=" ? p[2] : p[3];
    ++total[category];
    const bool ok1 = enc1->encode(prompt) == parse_ids(p[2]), ok2 = enc2->encode(prompt) == parse_ids(ids2);
    EXPECT_TRUE(ok1) << "encoder 1, " << category << ": " << p[1].dump();
    EXPECT_TRUE(ok2) << "encoder 2, " << category << ": " << p[1].dump();
    wrong[category] += !ok1 || !ok2;
  }
  for (const auto& [category, n] : total) EXPECT_EQ(wrong[category], 0) << category << " of " << n;
  EXPECT_GE(total.size(), 15u);
}

// Mojibake repair (ftfy's fix_encoding) is not reproduced: on those prompts the ids equal the references
// run with fix_encoding=False, and differ from the real ones.
TEST(CleanGolden, MojibakeIsLeftAsItIs) {
  const auto& golden = clean_golden();
  const auto enc1 = encoder(1), enc2 = encoder(2);
  ASSERT_GE(golden["mojibake"].size(), 10u);
  for (const auto& p : golden["mojibake"]) {
    const std::string prompt = p[1], alt2 = p[5] == "=" ? p[4] : p[5];
    EXPECT_EQ(enc1->encode(prompt), parse_ids(p[4])) << p[1].dump();
    EXPECT_EQ(enc2->encode(prompt), parse_ids(alt2)) << p[1].dump();
  }
}

// Issue 12, bug 12: a byte-order mark anywhere in a prompt is dropped by both encoders, like every
// reference does (golden category "bom" covers it against them; here the plain statement).
TEST(CleanGolden, ByteOrderMarkIsDropped) {
  for (int which : {1, 2}) {
    const auto tok = encoder(which);
    const auto plain = tok->encode("a cat on the moon");
    EXPECT_EQ(tok->encode("\xEF\xBB\xBF" "a cat on the moon"), plain) << "encoder " << which;
    EXPECT_EQ(tok->encode("a cat\xEF\xBB\xBF on the moon\xEF\xBB\xBF"), plain) << "encoder " << which;
  }
}

// The per-encoder differences the golden relies on, stated directly.
TEST(CleanGolden, FlavoursDifferWhereTheReferencesDo) {
  const auto enc1 = encoder(1), enc2 = encoder(2);
  // Literal special tokens: transformers' added tokens on encoder 1, open_clip's on encoder 2.
  EXPECT_EQ(enc1->encode("<|endoftext|>"), std::vector<int>{enc1->eos_id()});
  EXPECT_EQ(enc2->encode("<end_of_text>"), std::vector<int>{enc2->eos_id()});
  EXPECT_NE(enc2->encode("<|endoftext|>"), std::vector<int>{enc2->eos_id()});
  EXPECT_NE(enc1->encode("<end_of_text>"), std::vector<int>{enc1->eos_id()});
  // open_clip unescapes HTML twice after ftfy; transformers only through ftfy (one `;` form per round).
  EXPECT_EQ(enc2->encode("&amp"), enc2->encode("&"));
  EXPECT_NE(enc1->encode("&amp"), enc1->encode("&"));
  EXPECT_EQ(enc1->encode("&amp;amp;"), enc1->encode("&"));  // ftfy repeats its fixes until nothing changes
}

}  // namespace
}  // namespace sdxl
