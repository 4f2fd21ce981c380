// Prompt files: .txt and .jsonl, comments/blank lines, original line numbers, bad lines reported
// individually while the rest still parse, unknown fields named.
#include <fstream>

#include "common/error.h"
#include "io/prompt_file.h"
#include "test_util.h"

namespace sdxl {
namespace {

using namespace std::string_literals;

const std::set<std::string> kAllowed = {"prompt", "negative_prompt", "seed", "steps", "size"};

std::string write_temp(const std::string& name, const std::string& content) {
  const std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

TEST(PromptFile, TxtSkipsBlanksAndCommentsAndKeepsLineNumbers) {
  const std::string path = write_temp("prompts.txt",
                                      "\xEF\xBB\xBF"  // BOM
                                      "a cat\r\n"
                                      "\r\n"
                                      "# a comment\n"
                                      "   # indented comment\n"
                                      "  a dog on the moon  \n"
                                      "\t\n"
                                      "caf\xC3\xA9 \xE5\xAE\x87\xE5\xAE\x99");  // no final newline, UTF-8
  const auto lines = io::parse_prompt_file(path, kAllowed);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].line_number, 1);
  EXPECT_EQ(lines[0].fields, nlohmann::json({{"prompt", "a cat"}}));
  EXPECT_EQ(lines[1].line_number, 5);
  EXPECT_EQ(lines[1].fields, nlohmann::json({{"prompt", "a dog on the moon"}}));
  EXPECT_EQ(lines[2].line_number, 7);
  EXPECT_EQ(lines[2].fields["prompt"], "caf\xC3\xA9 \xE5\xAE\x87\xE5\xAE\x99");
  for (const auto& l : lines) EXPECT_EQ(l.error, "") << l.line_number;
}

TEST(PromptFile, TxtBadLinesAreReportedWithTheirNumber) {
  const std::string path = write_temp("bad.txt", "good one\nbad \xFF\xFE bytes\nnul\0inside\nlast good\n"s);
  const auto lines = io::parse_prompt_file(path, kAllowed);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0].error, "");
  EXPECT_EQ(lines[1].error, path + ":2: not valid UTF-8 (byte 5)");
  EXPECT_TRUE(lines[1].fields.is_null());
  EXPECT_NE(lines[2].error.find(":3: contains a NUL byte"), std::string::npos) << lines[2].error;
  EXPECT_EQ(lines[3].fields["prompt"], "last good");
  // A txt file needs "prompt" to be allowed.
  const auto no_prompt = io::parse_prompt_file(path, {"seed"});
  EXPECT_NE(no_prompt[0].error.find(":1: unknown field 'prompt' (allowed: seed)"), std::string::npos);
}

TEST(PromptFile, JsonlParsesObjectsAndReportsEachBadLine) {
  const std::string path = write_temp("batch.JSONL",  // extension matched case-insensitively
                                      "{\"prompt\": \"a cat\", \"seed\": 1}\r\n"
                                      "\n"
                                      "{\"prompt\": \"a dog\", \"steps\": 20, \"size\": \"1024x768\"}\n"
                                      "{\"prompt\": \"oops\",}\n"
                                      "[\"not\", \"an object\"]\n"
                                      "{\"prompt\": \"x\", \"sede\": 3}\n"
                                      "\"just a string\"\n"
                                      "{\"prompt\": \"bad \xC3\x28\"}\n"
                                      "   \n"
                                      "{\"prompt\": \"\xE5\xAE\x87\xE5\xAE\x99\", \"negative_prompt\": null}");
  const auto lines = io::parse_prompt_file(path, kAllowed);
  ASSERT_EQ(lines.size(), 8u);
  EXPECT_EQ(lines[0].line_number, 1);
  EXPECT_EQ(lines[0].fields, nlohmann::json({{"prompt", "a cat"}, {"seed", 1}}));
  EXPECT_EQ(lines[1].line_number, 3);
  EXPECT_EQ(lines[1].fields["size"], "1024x768");
  EXPECT_EQ(lines[2].line_number, 4);
  EXPECT_EQ(lines[2].error.rfind(path + ":4: invalid JSON (", 0), 0u) << lines[2].error;
  EXPECT_EQ(lines[3].error, path + ":5: expected a JSON object, got array");
  EXPECT_EQ(lines[4].error.rfind(path + ":6: unknown field 'sede' (allowed: ", 0), 0u) << lines[4].error;
  EXPECT_EQ(lines[5].error, path + ":7: expected a JSON object, got string");
  EXPECT_EQ(lines[6].error, path + ":8: not valid UTF-8 (byte 17)");
  EXPECT_EQ(lines[7].line_number, 10);
  EXPECT_EQ(lines[7].error, "");
  EXPECT_EQ(lines[7].fields["prompt"], "\xE5\xAE\x87\xE5\xAE\x99");
  EXPECT_TRUE(lines[7].fields["negative_prompt"].is_null());
}

TEST(PromptFile, RejectsOtherExtensionsAndMissingFiles) {
  const std::string csv = write_temp("prompts.csv", "a,b\n");
  try {
    io::parse_prompt_file(csv, kAllowed);
    FAIL() << "a .csv file was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("prompts.csv: unknown prompt file type '.csv'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(io::parse_prompt_file(write_temp("noext", "x"), kAllowed), Error);
  EXPECT_THROW(io::parse_prompt_file(::testing::TempDir() + "/no_such_file.txt", kAllowed), Error);
  EXPECT_TRUE(io::parse_prompt_file(write_temp("empty.txt", ""), kAllowed).empty());
}

TEST(PromptFile, InMemoryParserHandlesEdgeCases) {
  // Only a BOM; only CR; a lone '#' is a comment in txt but invalid JSON in jsonl.
  EXPECT_TRUE(io::parse_prompt_text("\xEF\xBB\xBF", false, "m", kAllowed).empty());
  EXPECT_TRUE(io::parse_prompt_text("\r\n\r\n", true, "m", kAllowed).empty());
  EXPECT_TRUE(io::parse_prompt_text("#", false, "m", kAllowed).empty());
  const auto j = io::parse_prompt_text("#\n", true, "m", kAllowed);
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0].error.rfind("m:1: invalid JSON", 0), 0u);
  // Deeply nested JSON is an error entry, not a crash.
  const auto deep = io::parse_prompt_text(std::string(100000, '['), true, "m", kAllowed);
  ASSERT_EQ(deep.size(), 1u);
  EXPECT_NE(deep[0].error, "");
}

}  // namespace
}  // namespace sdxl
