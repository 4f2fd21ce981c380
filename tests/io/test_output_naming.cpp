// Output names: every field, format specs, slugs, and hostile prompts that must never escape the
// output directory.
#include "common/error.h"
#include "io/output_naming.h"
#include "test_util.h"

namespace sdxl {
namespace {

using namespace std::string_literals;

io::NameFields fields() {
  io::NameFields f;
  f.index = 7;
  f.seed = 18446744073709551615ull;
  f.prompt = "A Photograph of an Astronaut, riding a horse!";
  f.steps = 30;
  f.sampler = "dpmpp_2m";
  f.cfg = 7.5;
  f.width = 1024;
  f.height = 768;
  f.model = "sd_xl_base_1.0";
  return f;
}

std::string name_error(const std::string& tmpl) {
  try {
    io::render_name(tmpl, fields());
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// The properties every rendered name must have.
void expect_safe(const std::string& name) {
  EXPECT_FALSE(name.empty());
  EXPECT_LE(name.size(), io::kMaxOutputNameBytes) << name;
  EXPECT_EQ(name.find('/'), std::string::npos) << name;
  EXPECT_EQ(name.find('\0'), std::string::npos) << name;
  EXPECT_NE(name[0], '.') << name;
  EXPECT_EQ(name.substr(name.size() - 4), ".png") << name;
  for (unsigned char c : name) EXPECT_TRUE(c >= 0x20 && c != 0x7F) << name;
}

TEST(OutputNaming, Slugify) {
  EXPECT_EQ(io::slugify("A Photo of a Cat!"), "a_photo_of_a_cat");
  EXPECT_EQ(io::slugify("../../etc/passwd"), "etc_passwd");
  EXPECT_EQ(io::slugify("/absolute/path"), "absolute_path");
  EXPECT_EQ(io::slugify(".."), "_");
  EXPECT_EQ(io::slugify(""), "_");
  EXPECT_EQ(io::slugify("nul\0and\x01\x1f control\x7f"s), "nul_and_control");
  EXPECT_EQ(io::slugify("keep-these_chars 123"), "keep-these_chars_123");
  EXPECT_EQ(io::slugify("__a___b__"), "a_b");
  // Letters of every script stay (a prompt in another language keeps its words); emoji and symbols do not.
  EXPECT_EQ(io::slugify("caf\xC3\xA9 \xE5\xAE\x87\xE5\xAE\x99 \xF0\x9F\x9A\x80"), "caf\xC3\xA9_\xE5\xAE\x87\xE5\xAE\x99");
  EXPECT_EQ(io::slugify("\xE5\xAE\x87\xE5\xAE\x99"), "\xE5\xAE\x87\xE5\xAE\x99");
  EXPECT_EQ(io::slugify("\xE5\xAE\x87\xE5\xAE\x99", 4), "\xE5\xAE\x87");  // cut at a character boundary
  EXPECT_EQ(io::slugify("a\xC3\x97" "b \xE2\x80\x94 \xEF\xBB\xBF\xC2\xA0" "c"), "a_b_c");  // x, em dash, BOM, nbsp
  EXPECT_EQ(io::slugify("\xFF\xFE" "bad"), "bad");  // ill-formed bytes
  EXPECT_EQ(io::slugify("-rf --no-preserve-root"), "rf_--no-preserve-root");
  EXPECT_EQ(io::slugify("abcdef ghij", 7), "abcdef");  // cut to "abcdef_", then trimmed
  EXPECT_EQ(io::slugify("abc", 0), "a");  // max_len is at least 1
  EXPECT_EQ(io::slugify(std::string(10000, 'x'), 50), std::string(50, 'x'));
  EXPECT_EQ(io::slugify("-----------abc", 5), "abc");
}

TEST(OutputNaming, RendersEveryField) {
  EXPECT_EQ(io::render_name("{index:05d}-{seed}-{prompt:.40}", fields()),
            "00007-18446744073709551615-a_photograph_of_an_astronaut_riding_a_ho.png");
  EXPECT_EQ(io::render_name("{steps}_{sampler}_{cfg}_{width}x{height}_{model}.png", fields()),
            "30_dpmpp_2m_7_5_1024x768_sd_xl_base_1_0.png");
  EXPECT_EQ(io::render_name("{cfg:.2f}_{cfg:.0f}_{index:d}_{prompt}", fields()),
            "7_50_8_7_a_photograph_of_an_astronaut_riding_a_horse.png");
  EXPECT_EQ(io::render_name("{index:03d}", fields()), "007.png");
  EXPECT_EQ(io::render_name("{{literal}}{index}", fields()), "{literal}7.png");
  EXPECT_EQ(io::render_name("Image {index}.PNG", fields()), "Image 7.PNG");
  EXPECT_EQ(io::render_name("{index}.jpg", fields()), "7.jpg.png");
  EXPECT_EQ(io::render_name("\xE7\x94\xBB\xE5\x83\x8F_{index}", fields()), "\xE7\x94\xBB\xE5\x83\x8F_7.png");
  io::NameFields neg = fields();
  neg.index = -3;
  EXPECT_EQ(io::render_name("{index:04d}", neg), "003.png");  // "-003": the sign is trimmed by the slug
}

TEST(OutputNaming, HostilePromptsStayInsideTheOutputDirectory) {
  const std::vector<std::string> prompts = {
      "../../etc/passwd", "/etc/passwd", "..", ".", "", ".hidden", "a/../../b", "C:\\Windows\\system32",
      "nul\0byte"s, "\x01\x02\x1b[31mred\x1b[0m", "\n\r\t", std::string(5000, 'a'), std::string(5000, '/'),
      "\xE5\xAE\x87\xE5\xAE\x99\xE9\xA3\x9B\xE8\xA1\x8C\xE5\xA3\xAB", "\xFF\xFE invalid utf8 \xC3",
      "\xF0\x9F\x9A\x80\xF0\x9F\x8C\x95"};
  for (const auto& tmpl : {"{prompt}", "{index}-{prompt:.40}", "{prompt}{prompt}{prompt}", "x{model}{sampler}"}) {
    for (const auto& p : prompts) {
      io::NameFields f = fields();
      f.prompt = f.model = f.sampler = p;
      const std::string name = io::render_name(tmpl, f);
      expect_safe(name);
      EXPECT_EQ(name.find(".."), std::string::npos) << name;
    }
  }
  io::NameFields f = fields();
  f.prompt = "../../etc/passwd";
  EXPECT_EQ(io::render_name("{prompt}", f), "etc_passwd.png");
  f.prompt = std::string(5000, 'a');
  EXPECT_EQ(io::render_name("{prompt}", f), std::string(196, 'a') + ".png");  // capped at 200 bytes
  // The cap never splits a UTF-8 character of the template text.
  const std::string long_utf8 = std::string(195, 'b') + "\xE7\x94\xBB";
  EXPECT_EQ(io::render_name(long_utf8, f), std::string(195, 'b') + ".png");
}

TEST(OutputNaming, BadTemplatesAreErrorsNamingTheTemplate) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "empty template"},
      {"{nope}", "unknown field '{nope}'"},
      {"{index:5d}", "bad format spec '5d' for {index}"},
      {"{index:021d}", "bad format spec"},
      {"{index:.3}", "bad format spec"},
      {"{prompt:40}", "bad format spec '40' for {prompt}"},
      {"{prompt:.0}", "bad format spec"},
      {"{prompt:.201}", "bad format spec"},
      {"{cfg:.7f}", "bad format spec"},
      {"{cfg:d}", "bad format spec"},
      {"{index", "unclosed '{'"},
      {"index}", "unmatched '}'"},
      {"{in{dex}", "'{' inside a field"},
      {"out/{index}", "'/' and '\\' are not allowed"},
      {"..\\{index}", "'/' and '\\' are not allowed"},
      {"a\nb{index}", "control characters"},
      {".{index}", "may not start with '.'"},
      {"..{index}", "may not start with '.'"},
      {".png", "empty"},
      {"bad\xFF{index}", "not valid UTF-8"},
  };
  for (const auto& [tmpl, want] : cases) {
    const std::string err = name_error(tmpl);
    EXPECT_EQ(err.rfind("output name template '", 0), 0u) << tmpl << " -> " << err;
    EXPECT_NE(err.find(want), std::string::npos) << tmpl << " -> '" << err << "', want '" << want << "'";
    EXPECT_THROW(io::check_name_template(tmpl), Error) << tmpl;
  }
  EXPECT_NO_THROW(io::check_name_template("{index:05d}-{seed}-{prompt:.40}"));
  // Control characters in the template are shown escaped in the message.
  EXPECT_NE(name_error("a\nb").find("a\\x0ab"), std::string::npos) << name_error("a\nb");
}

}  // namespace
}  // namespace sdxl
