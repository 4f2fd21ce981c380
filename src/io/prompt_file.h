// Prompt files for batch runs: `.txt` (one prompt a line) or `.jsonl` (one JSON object a line, with
// request fields). A bad line becomes an entry with `error` set; the other lines still parse, so the
// caller can report every problem at once (or skip the bad lines).
#pragma once
#include <nlohmann/json.hpp>

#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace sdxl::io {

struct PromptLine {
  int line_number = 0;   // 1-based line in the file
  nlohmann::json fields; // object; `.txt` lines become {"prompt": <line>}; null when `error` is set
  std::string error;     // empty when the line is fine; else "<file>:<line>: <problem>"
};

// Reads `path` by extension (.txt / .jsonl, any case); other extensions and unreadable files throw
// sdxl::Error. A UTF-8 BOM and CRLF line ends are accepted.
//  .txt:   surrounding whitespace trimmed; blank lines and lines starting with '#' skipped.
//  .jsonl: blank lines skipped; each other line must be a JSON object.
// Every key must be in `allowed_fields` (an unknown key is an error naming it and the line); non-UTF-8
// lines are errors.
std::vector<PromptLine> parse_prompt_file(const std::string& path, const std::set<std::string>& allowed_fields);

// The same on text already in memory (`jsonl` picks the format; `name` goes into the messages).
std::vector<PromptLine> parse_prompt_text(std::string_view content, bool jsonl, const std::string& name,
                                          const std::set<std::string>& allowed_fields);

}  // namespace sdxl::io
