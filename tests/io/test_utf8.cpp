// UTF-8 / Latin-1 helpers used by the PNG text chunks, prompt files and names.
#include "io/utf8.h"
#include "test_util.h"

namespace sdxl {
namespace {

TEST(Utf8, Validation) {
  EXPECT_TRUE(io::is_valid_utf8(""));
  EXPECT_TRUE(io::is_valid_utf8("plain ascii"));
  EXPECT_TRUE(io::is_valid_utf8("caf\xC3\xA9 \xE5\xAE\x87 \xF0\x9F\x9A\x80 \xF4\x8F\xBF\xBF"));
  for (const char* bad : {"\x80", "\xC3", "\xC0\xAF" /* overlong '/' */, "\xE0\x80\xAF", "\xED\xA0\x80" /* surrogate */,
                          "\xF4\x90\x80\x80" /* > U+10FFFF */, "\xF8\x88\x80\x80\x80", "\xFF", "\xE5\xAE"}) {
    EXPECT_FALSE(io::is_valid_utf8(bad)) << bad;
  }
  EXPECT_EQ(io::first_invalid_utf8("ok\xC3\xA9\xFFrest"), 4u);
}

TEST(Utf8, PrefixNeverSplitsACharacter) {
  const std::string s = "a\xE5\xAE\x87" "b";
  EXPECT_EQ(io::utf8_prefix_bytes(s, 10), 5u);
  EXPECT_EQ(io::utf8_prefix_bytes(s, 4), 4u);
  EXPECT_EQ(io::utf8_prefix_bytes(s, 3), 1u);
  EXPECT_EQ(io::utf8_prefix_bytes(s, 2), 1u);
  EXPECT_EQ(io::utf8_prefix_bytes(s, 0), 0u);
}

TEST(Utf8, Latin1RoundTrip) {
  std::string all;
  for (int b = 1; b < 256; ++b) all += char(b);
  const std::string utf8 = io::latin1_to_utf8(all);
  EXPECT_TRUE(io::is_valid_utf8(utf8));
  std::string back;
  ASSERT_TRUE(io::utf8_to_latin1(utf8, &back));
  EXPECT_EQ(back, all);
  EXPECT_FALSE(io::utf8_to_latin1("\xE2\x82\xAC", &back));  // the euro sign is not Latin-1
  EXPECT_FALSE(io::utf8_to_latin1("\xFF", &back));
}

TEST(Utf8, PrintableEscapesAndCuts) {
  EXPECT_EQ(io::printable("a\nb\xFF" "c\xC3\xA9"), "a\\x0ab\\xffc\xC3\xA9");
  EXPECT_EQ(io::printable(std::string(100, 'z'), 5), "zzzzz...");
}

}  // namespace
}  // namespace sdxl
