#include "adapters/prompt_tags.h"

#include "adapters/folder_files.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>

#include "common/error.h"
#include "common/strings.h"

namespace sdxl {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out(1);
  for (char c : s) {
    if (c == sep) out.emplace_back();
    else out.back().push_back(c);
  }
  return out;
}

std::string trimmed(const std::string& s) { return std::string(ascii_trim(s)); }

double multiplier_of(const std::string& text, const std::string& tag) {
  char* end = nullptr;
  errno = 0;
  const std::string t = trimmed(text);
  const double m = std::strtod(t.c_str(), &end);
  if (t.empty() || *end || errno || !std::isfinite(m)) throw Error(ErrorCategory::Input, "", "prompt tag " + tag + ": '" + text + "' is not a multiplier");
  return m;
}

// Levenshtein distance, for suggesting names close to a mistyped one.
size_t distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string take_lora_tags(const std::string& text, std::vector<LoraTag>* tags) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    size_t open = text.find('<', i);
    if (open == std::string::npos) break;
    const size_t close = text.find('>', open);
    const std::string body = close == std::string::npos ? "" : text.substr(open + 1, close - open - 1);
    const size_t colon = body.find(':');
    const std::string kind = colon == std::string::npos ? "" : body.substr(0, colon);
    if (kind != "lora" && kind != "lyco") {
      out += text.substr(i, open + 1 - i);
      i = open + 1;
      continue;
    }
    const std::string tag = "<" + body + ">";
    const std::vector<std::string> items = split(body.substr(colon + 1), ':');
    LoraTag t{trimmed(items[0]), 1.0};
    if (t.name.empty()) throw Error(ErrorCategory::Input, "", "prompt tag " + tag + ": no LoRA name");
    if (items.size() >= 2) t.multiplier = multiplier_of(items[1], tag);
    // <lora:NAME:TE:UNET> gives the text encoders and the UNet their own multipliers (web UI); one file
    // has one multiplier here.
    if (items.size() >= 3 && multiplier_of(items[2], tag) != t.multiplier)
      throw Error(ErrorCategory::Input, "", "prompt tag " + tag + ": separate text-encoder and UNet multipliers are not supported");
    if (items.size() > 3) throw Error(ErrorCategory::Input, "", "prompt tag " + tag + ": expected <lora:NAME:MULTIPLIER>");
    tags->push_back(t);
    out += text.substr(i, open - i);
    i = close + 1;
  }
  if (i < text.size()) out += text.substr(i);
  return out;
}

std::string find_lora_file(const std::string& dir, const std::string& name) {
  if (dir.empty()) throw usage_error("lora_dir", "prompt tag <lora:" + name + ">: give the LoRA folder");
  std::error_code ec;
  // A missing folder is a missing input (3); a file where a folder belongs is a wrong value (2).
  if (!fs::exists(dir, ec)) throw input_error("lora_dir", dir + ": not a folder (nothing there)");
  if (!fs::is_directory(dir, ec)) throw usage_error("lora_dir", dir + ": not a folder");
  std::vector<std::pair<std::string, std::string>> found;  // stem, path
  for (const fs::path& p : safetensors_files_under(dir)) found.emplace_back(p.stem().string(), p.string());
  std::sort(found.begin(), found.end());
  for (const auto& [stem, path] : found)
    if (stem == name) return path;
  std::vector<std::string> folded;
  for (const auto& [stem, path] : found)
    if (ascii_lower(stem) == ascii_lower(name)) folded.push_back(path);
  if (folded.size() == 1) return folded[0];
  std::vector<std::pair<size_t, std::string>> close;
  for (const auto& [stem, path] : found) {
    const size_t d = distance(ascii_lower(stem), ascii_lower(name));
    if (d <= std::max<size_t>(2, name.size() / 3) || ascii_lower(stem).find(ascii_lower(name)) != std::string::npos)
      close.emplace_back(d, stem);
  }
  std::sort(close.begin(), close.end());
  std::string list;
  for (size_t k = 0; k < close.size() && k < 3; ++k) list += (k ? ", " : "") + close[k].second;
  throw input_error("prompt", "tag <lora:" + name + ">: no " + name + ".safetensors under the LoRA folder " + dir +
              (list.empty() ? "" : " (close matches: " + list + ")"));
}

void resolve_lora_tags(GenerationRequest& r, const std::string& dir) {
  std::vector<LoraTag> tags;
  r.text.prompt = take_lora_tags(r.text.prompt, &tags);
  if (r.text.prompt_2) r.text.prompt_2 = take_lora_tags(*r.text.prompt_2, &tags);
  for (const LoraTag& t : tags) r.adapters.loras.push_back(LoraSpec{find_lora_file(dir, t.name), t.multiplier});
}

}  // namespace sdxl
