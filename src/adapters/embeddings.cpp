#include "adapters/embeddings.h"

#include "adapters/folder_files.h"

#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "common/error.h"
#include "common/strings.h"
#include "io/safetensors.h"
#include "io/sha256.h"
#include "weights/state_dict.h"

namespace sdxl {
namespace {

namespace fs = std::filesystem;

bool word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}

// Whether `lower_name` is the whole word starting at `i` of `text` (`lower`: text ASCII-lowercased).
bool word_at(const std::string& text, const std::string& lower, size_t i, const std::string& lower_name) {
  if (i > 0 && word_char(text[i - 1])) return false;  // words start after a non-word character
  const size_t end = i + lower_name.size();
  return lower.compare(i, lower_name.size(), lower_name) == 0 && (end >= text.size() || !word_char(text[end]));
}

at::Tensor vectors(const io::SafetensorsFile& file, const char* key) {
  if (!file.contains(key)) throw Error(ErrorCategory::Input, "", file.path() + ": an SDXL embedding needs '" + key + "' (has no such tensor)");
  at::Tensor t = file.tensor(key);
  if (t.dim() == 1) t = t.unsqueeze(0);
  if (t.dim() != 2 || t.size(0) < 1 || !at::isFloatingType(t.scalar_type()))
    throw Error(ErrorCategory::Input, "", file.path() + ": '" + key + "' should be float [n, width], is " + shape_str(t.sizes().vec()));
  return t.to(at::kFloat).clone();
}

}  // namespace

std::vector<TextualInversion> load_embeddings(const std::string& dir, std::vector<std::string>* skipped) {
  std::error_code ec;
  // A missing folder is a missing input (3); a file where a folder belongs is a wrong value (2).
  if (!fs::exists(dir, ec)) throw input_error("embeddings_dir", dir + ": not a folder (nothing there)");
  if (!fs::is_directory(dir, ec)) throw usage_error("embeddings_dir", dir + ": not a folder");
  std::map<std::string, TextualInversion> by_name;
  for (const fs::path& p : safetensors_files_under(dir)) {
    auto file = io::SafetensorsFile::open(p.string());
    // Other files may share the folder (a LoRA beside the embeddings): one with neither text-encoder
    // vector is not an embedding, and prompts that use none must not fail because of it.
    if (!file->contains("clip_l") && !file->contains("clip_g")) {
      if (skipped) skipped->push_back(p.string());
      continue;
    }
    TextualInversion e{p.stem().string(), p.string(), io::hash_file(p.string(), /*safetensors_data_hash=*/false).file,
                       vectors(*file, "clip_l"), vectors(*file, "clip_g")};
    auto [prev, fresh] = by_name.emplace(ascii_lower(e.name), e);
    if (!fresh) throw input_error("embeddings_dir", prev->second.path + " and " + e.path + " have the same name");
  }
  std::vector<TextualInversion> out;
  for (auto& [_, e] : by_name) out.push_back(std::move(e));
  return out;
}

std::vector<EmbeddingUse> embeddings_used(const std::vector<TextualInversion>& embeddings,
                                          const std::vector<std::string>& texts) {
  std::vector<EmbeddingUse> out;
  for (const TextualInversion& e : embeddings) {
    const std::string name = ascii_lower(e.name);
    bool used = false;
    for (const std::string& text : texts) {
      const std::string lower = ascii_lower(text);
      for (size_t i = lower.find(name); !used && i != std::string::npos; i = lower.find(name, i + 1))
        used = word_at(text, lower, i, name);
    }
    if (used) out.push_back({e.name, e.path, e.sha256});
  }
  return out;
}

EmbeddingTokenizer::EmbeddingTokenizer(std::shared_ptr<const Tokenizer> base, std::vector<Entry> entries)
    : Tokenizer(base->pad_id(), base->context_length()), base_(std::move(base)), entries_(std::move(entries)) {
  std::stable_sort(entries_.begin(), entries_.end(), [](const Entry& a, const Entry& b) { return a.name.size() > b.name.size(); });
}

std::vector<int> EmbeddingTokenizer::encode(const std::string& text) const {
  std::vector<int> out;
  const std::string lower = ascii_lower(text);
  size_t done = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    for (const Entry& e : entries_) {
      if (!word_at(text, lower, i, ascii_lower(e.name))) continue;
      const size_t end = i + e.name.size();
      const std::vector<int> before = base_->encode(text.substr(done, i - done));
      out.insert(out.end(), before.begin(), before.end());
      for (int k = 0; k < e.count; ++k) out.push_back(e.first_id + k);
      done = end;
      i = end - 1;
      break;
    }
  }
  const std::vector<int> rest = base_->encode(text.substr(done));
  out.insert(out.end(), rest.begin(), rest.end());
  return out;
}

std::string EmbeddingTokenizer::decode(const std::vector<int>& ids) const {
  std::string out;
  std::vector<int> run;
  auto flush = [&] {
    if (run.empty()) return;
    out += (out.empty() ? "" : " ") + base_->decode(run);
    run.clear();
  };
  for (size_t i = 0; i < ids.size(); ++i) {
    const Entry* hit = nullptr;
    for (const Entry& e : entries_)
      if (ids[i] == e.first_id) hit = &e;
    if (!hit) {
      run.push_back(ids[i]);
      continue;
    }
    flush();
    out += (out.empty() ? "" : " ") + hit->name;
    while (i + 1 < ids.size() && ids[i + 1] > hit->first_id && ids[i + 1] < hit->first_id + hit->count) ++i;
  }
  flush();
  return out;
}

void add_embeddings(TextConditioner& text, const std::vector<TextualInversion>& embeddings) {
  if (embeddings.empty()) return;
  torch::NoGradGuard no_grad;
  for (TextEncoder& enc : text.encoders()) {
    if (std::dynamic_pointer_cast<const EmbeddingTokenizer>(enc.tokenizer)) continue;
    at::Tensor& table = enc.model->text_model->embeddings->token_embedding->weight;
    const int64_t width = table.size(1);
    int next = static_cast<int>(table.size(0));
    std::vector<at::Tensor> rows = {table};
    std::vector<EmbeddingTokenizer::Entry> entries;
    for (const TextualInversion& e : embeddings) {
      const at::Tensor& v = e.clip_l.size(1) == width ? e.clip_l : e.clip_g;
      if (v.size(1) != width)
        throw Error(ErrorCategory::Input, "", e.path + ": clip_l " + shape_str(e.clip_l.sizes().vec()) + " / clip_g " + shape_str(e.clip_g.sizes().vec()) +
                    " do not fit " + enc.name + " (width " + std::to_string(width) + ")");
      rows.push_back(v.to(table.device(), table.scalar_type()));
      entries.push_back({e.name, next, static_cast<int>(v.size(0))});
      next += static_cast<int>(v.size(0));
    }
    table.set_(at::cat(rows));  // the registered parameter is this tensor: it grows in place
    enc.tokenizer = std::make_shared<EmbeddingTokenizer>(enc.tokenizer, std::move(entries));
  }
  text.clear_cache();
}

}  // namespace sdxl
