// Size and pair parsing: valid forms and every class of bad input, each with a clear message.
#include "common/error.h"
#include "io/size_parse.h"
#include "test_util.h"

namespace sdxl {
namespace {

std::string size_error(const std::string& text, int multiple_of = 8) {
  try {
    io::parse_size(text, multiple_of);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

std::string pair_error(const std::string& text) {
  try {
    io::parse_pair(text);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(SizeParse, ValidSizes) {
  auto s = io::parse_size("1024x768");
  EXPECT_EQ(s.width, 1024);
  EXPECT_EQ(s.height, 768);
  s = io::parse_size("64X96");
  EXPECT_EQ(s.width, 64);
  EXPECT_EQ(s.height, 96);
  s = io::parse_size("16384x8");
  EXPECT_EQ(s.width, 16384);
  s = io::parse_size("0001024x0768");  // leading zeros are plain decimal
  EXPECT_EQ(s.width, 1024);
  EXPECT_EQ(s.height, 768);
  s = io::parse_size("1023x767", 1);  // micro-conditioning sizes need not be multiples of 8
  EXPECT_EQ(s.width, 1023);
  EXPECT_EQ(s.height, 767);
}

TEST(SizeParse, BadSizesSayWhatIsWrong) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"0x0", "'0x0': width must be at least 1"},
      {"1024x0", "height must be at least 1"},
      {"abc", "'abc': expected WIDTHxHEIGHT"},
      {"", "empty value"},
      {"x", "expected WIDTHxHEIGHT"},
      {"1024x", "expected WIDTHxHEIGHT"},
      {"x768", "expected WIDTHxHEIGHT"},
      {"1024x768x3", "expected WIDTHxHEIGHT"},
      {"1024*768", "expected WIDTHxHEIGHT"},
      {"100000x100000", "width exceeds the limit of 16384"},
      {"16392x8", "width exceeds the limit of 16384"},
      {"8x99999999999999999999999", "height exceeds the limit of 16384"},
      {"1023x768", "width 1023 is not a multiple of 8"},
      {"1024x770", "height 770 is not a multiple of 8"},
      {"-1024x768", "width must not be negative"},
      {"1024x-768", "height must not be negative"},
      {"+1024x768", "decimal integers"},
      {"1e3x768", "decimal integers"},
      {"1024.0x768", "decimal integers"},
      {" 1024x768", "whitespace"},
      {"1024 x 768", "whitespace"},
      {"1024x768\n", "whitespace"},
      {"1024x768\t", "whitespace"},
      {"\xEF\xBC\x91\xEF\xBC\x90x8", "decimal integers"},  // full-width digits
  };
  for (const auto& [text, want] : cases) {
    const std::string err = size_error(text);
    EXPECT_NE(err.find(want), std::string::npos) << "'" << text << "' -> '" << err << "', want '" << want << "'";
  }
  // Control bytes and huge inputs are escaped and cut in the message.
  const std::string err = size_error(std::string("\x01\x02", 2) + std::string(10000, '9'));
  EXPECT_NE(err.find("\\x01\\x02"), std::string::npos) << err;
  EXPECT_LT(err.size(), 300u);
}

TEST(SizeParse, Pairs) {
  EXPECT_EQ(io::parse_pair("16,8"), std::make_pair(16, 8));
  EXPECT_EQ(io::parse_pair("0,0"), std::make_pair(0, 0));
  EXPECT_EQ(io::parse_pair("16384,3"), std::make_pair(16384, 3));
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"16", "expected TOP,LEFT"},        {"16,8,4", "expected TOP,LEFT"}, {",8", "expected TOP,LEFT"},
      {"16,", "expected TOP,LEFT"},       {"-1,0", "top must not be negative"},
      {"0,-1", "left must not be negative"}, {"16, 8", "whitespace"}, {"a,b", "decimal integers"},
      {"16385,0", "top exceeds the limit of 16384"}, {"", "empty value"}, {"16x8", "expected TOP,LEFT"},
  };
  for (const auto& [text, want] : cases) {
    const std::string err = pair_error(text);
    EXPECT_NE(err.find(want), std::string::npos) << "'" << text << "' -> '" << err << "', want '" << want << "'";
  }
}

}  // namespace
}  // namespace sdxl
