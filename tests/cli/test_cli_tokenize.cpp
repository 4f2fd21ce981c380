// `tokenize --prompt-file`: many prompts in one process, one JSON line each, in file order; prompt files
// saved with a byte-order mark read like those without (issue 12, bug 12).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <sstream>

#include "cli_runner.h"
#include "io/atomic_file.h"

namespace sdxl::test {
namespace {

std::vector<nlohmann::json> json_lines(const std::string& out) {
  std::vector<nlohmann::json> lines;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines.push_back(nlohmann::json::parse(line));
  return lines;
}

nlohmann::json tokenize_one(const std::string& prompt) {
  CliResult r = run_cli("tokenize --json --prompt " + shell_quote(prompt));
  EXPECT_EQ(r.code, 0) << r.err;
  return nlohmann::json::parse(r.out);
}

const std::vector<std::string> kPrompts = {"a photograph of an astronaut riding a horse",
                                           "children\xE2\x80\x99s book, \xEF\xBD\x83\xEF\xBD\x81\xEF\xBD\x94",
                                           "caf" "e\xCC\x81 at night &amp; rain!!"};

TEST(CliTokenize, PromptFileGivesOneLinePerPromptInOrder) {
  const std::string dir = fresh_dir("tokenize_file");
  std::string txt, jsonl;
  for (const auto& p : kPrompts) {
    txt += p + "\n";
    jsonl += nlohmann::json({{"prompt", p}, {"seed", 1}}).dump() + "\n";
  }
  io::write_file_atomic(dir + "/p.txt", txt);
  io::write_file_atomic(dir + "/p.jsonl", jsonl);
  for (const char* file : {"/p.txt", "/p.jsonl"}) {
    CliResult r = run_cli("tokenize --json --prompt-file " + dir + file);
    ASSERT_EQ(r.code, 0) << r.err;
    const auto lines = json_lines(r.out);
    ASSERT_EQ(lines.size(), kPrompts.size()) << r.out;
    for (size_t i = 0; i < kPrompts.size(); ++i) EXPECT_EQ(lines[i], tokenize_one(kPrompts[i])) << file << " " << i;
  }
}

TEST(CliTokenize, PromptFileWithByteOrderMarkTokenizesLikeWithout) {
  const std::string dir = fresh_dir("tokenize_bom");
  io::write_file_atomic(dir + "/plain.txt", "a cat on the moon\nsecond prompt\n");
  io::write_file_atomic(dir + "/bom.txt", "\xEF\xBB\xBF" "a cat on the moon\r\nsecond prompt\r\n");
  io::write_file_atomic(dir + "/bom.jsonl", "\xEF\xBB\xBF{\"prompt\": \"a cat on the moon\"}\n{\"prompt\": \"second prompt\"}\n");
  CliResult plain = run_cli("tokenize --json --prompt-file " + dir + "/plain.txt");
  ASSERT_EQ(plain.code, 0) << plain.err;
  for (const char* file : {"/bom.txt", "/bom.jsonl"}) {
    CliResult r = run_cli("tokenize --json --prompt-file " + dir + file);
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, plain.out) << file;
  }
  // A mark inside a prompt (pasted text) is dropped too, as every reference tokenizer does.
  EXPECT_EQ(tokenize_one("a cat\xEF\xBB\xBF on the moon"), json_lines(plain.out)[0]);
}

TEST(CliTokenize, BadPromptFilesAreInputErrorsWithNothingPrinted) {
  const std::string dir = fresh_dir("tokenize_bad");
  io::write_file_atomic(dir + "/bad.jsonl", "{\"prompt\": \"ok\"}\n{\"prompt\": 3}\nnot json\n");
  CliResult bad = run_cli("tokenize --json --prompt-file " + dir + "/bad.jsonl");
  EXPECT_EQ(bad.code, 3);
  EXPECT_EQ(bad.out, "");
  EXPECT_NE(bad.err.find("bad.jsonl:2"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("bad.jsonl:3"), std::string::npos) << bad.err;
  io::write_file_atomic(dir + "/empty.txt", "# only a comment\n\n");
  EXPECT_EQ(run_cli("tokenize --prompt-file " + dir + "/empty.txt").code, 3);
  EXPECT_EQ(run_cli("tokenize --prompt-file " + dir + "/missing.txt").code, 3);
  EXPECT_EQ(run_cli("tokenize --prompt x --prompt-file " + dir + "/bad.jsonl").code, 2);
  EXPECT_EQ(run_cli("tokenize --json").code, 2);
}

}  // namespace
}  // namespace sdxl::test
