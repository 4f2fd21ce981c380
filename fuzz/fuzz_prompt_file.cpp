// Fuzz target: batch prompt files (src/io/prompt_file.h). The input is written to a real file named
// *.txt and *.jsonl and parsed by io::parse_prompt_file; the result must equal the in-memory parser's,
// and every entry must be either an error (fields null, one printable line) or a JSON object of allowed,
// UTF-8 fields whose strings hold no NUL.
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "common/error.h"
#include "fuzz_util.h"
#include "io/prompt_file.h"
#include "io/utf8.h"

namespace {

// The request fields a prompt-file line may set (a representative set: the CLI's list lives in src/cli).
const std::set<std::string> kAllowed = {"prompt", "negative_prompt", "prompt_2", "seed", "steps", "cfg",
                                        "sampler", "size", "width", "height", "out"};

void check_lines(const std::vector<sdxl::io::PromptLine>& lines, bool jsonl) {
  int previous = 0;
  for (const auto& line : lines) {
    FUZZ_CHECK(line.line_number > previous, "line numbers increase");
    previous = line.line_number;
    if (!line.error.empty()) {
      FUZZ_CHECK(line.fields.is_null(), line.error);
      // One printable line: control characters from the file are escaped (the file name is ours).
      for (unsigned char ch : line.error) FUZZ_CHECK(ch >= 0x20 && ch != 0x7f, "control character in error");
      continue;
    }
    FUZZ_CHECK(line.fields.is_object(), "fields of a good line are an object");
    for (auto it = line.fields.begin(); it != line.fields.end(); ++it) {
      FUZZ_CHECK(kAllowed.count(it.key()) == 1, it.key());
      if (it->is_string()) FUZZ_CHECK(it->get<std::string>().find('\0') == std::string::npos, "NUL in a field");
    }
    if (!jsonl) FUZZ_CHECK(line.fields.size() == 1 && line.fields["prompt"].is_string(), "txt line is a prompt");
    // dump() throws on invalid UTF-8 in any string: accepted lines must be clean.
    const std::string text = line.fields.dump();
    FUZZ_CHECK(sdxl::io::is_valid_utf8(text), text);
  }
}

void parse_as(std::string_view bytes, const std::string& extension, bool jsonl) {
  sdxl::fuzz::TempFile file(bytes, extension);
  std::vector<sdxl::io::PromptLine> from_file;
  try {
    from_file = sdxl::io::parse_prompt_file(file.path(), kAllowed);
  } catch (const sdxl::Error& e) {
    // Only an unreadable file may throw as a whole (an Input error naming it); this one was just written with
    // a known extension, so any throw is a bad line escaping the per-line errors.
    FUZZ_CHECK(e.category() == sdxl::ErrorCategory::Input, e.what());
    FUZZ_CHECK(std::string(e.what()).find(file.path()) != std::string::npos, e.what());
    FUZZ_CHECK(false, std::string("a readable prompt file threw as a whole: ") + e.what());
  }
  check_lines(from_file, jsonl);
  const auto in_memory = sdxl::io::parse_prompt_text(bytes, jsonl, file.path(), kAllowed);
  FUZZ_CHECK(in_memory.size() == from_file.size(), "file and memory parsers agree");
  for (size_t i = 0; i < in_memory.size(); ++i) {
    FUZZ_CHECK(in_memory[i].line_number == from_file[i].line_number, "line number");
    FUZZ_CHECK(in_memory[i].error == from_file[i].error, in_memory[i].error);
    FUZZ_CHECK(in_memory[i].fields == from_file[i].fields, "fields");
  }
}

}  // namespace

// The one whole-file failure: a file that cannot be read is an Input error naming it.
void check_unreadable_file() {
  static bool done = false;
  if (done) return;
  done = true;
  const std::string missing = "/nonexistent-sdxl-fuzz-dir/prompts.txt";
  try {
    sdxl::io::parse_prompt_file(missing, kAllowed);
    FUZZ_CHECK(false, "a missing prompt file parsed");
  } catch (const sdxl::Error& e) {
    FUZZ_CHECK(e.category() == sdxl::ErrorCategory::Input, e.what());
    FUZZ_CHECK(std::string(e.what()).find(missing) != std::string::npos, e.what());
  }
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  check_unreadable_file();
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  parse_as(bytes, ".txt", false);
  parse_as(bytes, ".jsonl", true);
  return 0;
}
