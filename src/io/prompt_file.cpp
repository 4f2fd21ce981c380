#include "io/prompt_file.h"
#include "common/strings.h"


#include "common/error.h"
#include "io/atomic_file.h"
#include "io/utf8.h"

namespace sdxl::io {
namespace {


std::string_view trim(std::string_view s) { return ascii_trim(s); }

std::string lower_extension(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  const size_t dot = path.find_last_of('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return "";
  return ascii_lower(path.substr(dot));
}

std::string join(const std::set<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// Parses one non-blank line; returns the problem, or "" with *fields set.
std::string parse_line(std::string_view line, bool jsonl, const std::set<std::string>& allowed,
                       nlohmann::json* fields) {
  const size_t bad = first_invalid_utf8(line);
  if (bad != std::string_view::npos) return "not valid UTF-8 (byte " + std::to_string(bad + 1) + ")";
  if (line.find('\0') != std::string_view::npos) return "contains a NUL byte";
  nlohmann::json j;
  if (jsonl) {
    try {
      j = nlohmann::json::parse(line.begin(), line.end());
    } catch (const nlohmann::json::exception& e) {
      std::string what = e.what();  // "[json.exception.parse_error.101] parse error at ..."
      const size_t close = what.find("] ");
      // nlohmann quotes the text it read; DEL or a cut UTF-8 sequence there must not reach the terminal raw.
      return "invalid JSON (" + printable(close == std::string::npos ? what : what.substr(close + 2), 400) + ")";
    }
    if (!j.is_object()) return std::string("expected a JSON object, got ") + j.type_name();
  } else {
    j = nlohmann::json::object({{"prompt", std::string(line)}});
  }
  for (const auto& item : j.items()) {
    // The key is the user's text: printable() keeps control characters out of the one-line message.
    if (!allowed.count(item.key()))
      return "unknown field '" + printable(item.key()) + "' (allowed: " + join(allowed) + ")";
    // "\u0000" decodes to a NUL that the raw-byte check above cannot see; refuse it like a NUL byte
    // (it would end the prompt early in C APIs and cannot go into a PNG text chunk).
    if (item.value().is_string() && item.value().get_ref<const std::string&>().find('\0') != std::string::npos)
      return "field '" + item.key() + "' contains a NUL character (\\u0000)";
  }
  *fields = std::move(j);
  return "";
}

}  // namespace

std::vector<PromptLine> parse_prompt_text(std::string_view content, bool jsonl, const std::string& name,
                                          const std::set<std::string>& allowed_fields) {
  if (content.substr(0, 3) == "\xEF\xBB\xBF") content.remove_prefix(3);
  std::vector<PromptLine> out;
  int number = 0;
  while (!content.empty()) {
    const size_t nl = content.find('\n');
    std::string_view line = content.substr(0, nl);
    content.remove_prefix(nl == std::string_view::npos ? content.size() : nl + 1);
    ++number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const std::string_view trimmed = trim(line);
    if (trimmed.empty() || (!jsonl && trimmed.front() == '#')) continue;
    PromptLine entry;
    entry.line_number = number;
    const std::string problem = parse_line(jsonl ? line : trimmed, jsonl, allowed_fields, &entry.fields);
    if (!problem.empty()) entry.error = name + ":" + std::to_string(number) + ": " + problem;
    out.push_back(std::move(entry));
  }
  return out;
}

std::vector<PromptLine> parse_prompt_file(const std::string& path, const std::set<std::string>& allowed_fields) {
  const std::string ext = lower_extension(path);
  if (ext != ".txt" && ext != ".jsonl")
    throw Error(ErrorCategory::Input, "", path + ": unknown prompt file type '" + ext + "' (expected .txt or .jsonl)");
  const std::string content = read_file(path);
  return parse_prompt_text(content, ext == ".jsonl", path, allowed_fields);
}

}  // namespace sdxl::io
