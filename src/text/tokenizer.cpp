#include "text/tokenizer.h"

#include <cstdlib>
#include <filesystem>
#include <mutex>

#include "common/config_reader.h"
#include "common/error.h"
#include "io/atomic_file.h"
#include "io/paths.h"
#include "text/clip_bpe_tokenizer.h"
#include "text/sentencepiece_tokenizer.h"

namespace fs = std::filesystem;

namespace sdxl {
namespace {

constexpr const char* kClipBos = "<|startoftext|>";
constexpr const char* kClipEos = "<|endoftext|>";

// Vocabularies take ~0.3 s to load (49408 tokens, 48894 merges) and are shared by both SDXL tokenizers:
// each file pair is loaded once per process and kept (a few MB).
std::shared_ptr<const ClipBpeVocabulary> shared_vocabulary(const std::string& vocab_json, const std::string& merges_txt) {
  static std::mutex mutex;
  static std::map<std::string, std::shared_ptr<const ClipBpeVocabulary>> loaded;
  std::error_code ec;
  const std::string key = fs::weakly_canonical(vocab_json, ec).string() + "\n" + fs::weakly_canonical(merges_txt, ec).string();
  std::lock_guard<std::mutex> lock(mutex);
  if (auto existing = loaded[key]) return existing;
  auto vocab = ClipBpeVocabulary::load(vocab_json, merges_txt);
  loaded[key] = vocab;
  return vocab;
}

// A special token entry in tokenizer_config.json / special_tokens_map.json: a string or {"content": ...}.
std::string special_token(const std::string& dir, const char* key) {
  for (const char* file : {"special_tokens_map.json", "tokenizer_config.json"}) {
    const std::string path = dir + "/" + file;
    if (!fs::exists(path)) continue;
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(io::read_file(path));
    } catch (const nlohmann::json::exception& e) {
      throw Error(ErrorCategory::Input, "", path + ": invalid JSON: " + e.what());
    }
    if (!j.is_object() || !j.contains(key) || j[key].is_null()) continue;
    const auto& v = j[key];
    if (v.is_string()) return v.get<std::string>();
    if (v.is_object() && v.contains("content") && v["content"].is_string()) return v["content"].get<std::string>();
    throw Error(ErrorCategory::Input, "", path + ": '" + key + "' is neither a string nor an object with 'content'");
  }
  return "";
}

// `model_max_length` of the folder's tokenizer_config.json (transformers' tokenizer.model_max_length, the
// length diffusers' encode_prompt pads and truncates to), or `fallback` when the file or key is absent.
int model_max_length(const std::string& dir, int fallback) {
  const std::string path = dir + "/tokenizer_config.json";
  if (!fs::exists(path)) return fallback;
  nlohmann::json j = nlohmann::json::parse(io::read_file(path), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw Error(ErrorCategory::Input, "", path + ": invalid JSON");
  if (!j.is_object()) j = nullptr;  // not a settings object: every key takes its default
  const config::Reader r(j, path);  // keeps a reference to j
  const int64_t length = r.integer("model_max_length", fallback);
  if (length < 2 || length > fallback)
    r.fail("model_max_length", "must be from 2 to the text encoder's max_position_embeddings (" +
                                   std::to_string(fallback) + ")");
  return static_cast<int>(length);
}

int required_id(const ClipBpeVocabulary& vocab, const std::string& token, const std::string& what) {
  const int id = vocab.id(token);
  if (id < 0) throw Error(ErrorCategory::Input, "", vocab.source() + ": " + what + " '" + token + "' is not in the vocabulary");
  return id;
}

}  // namespace

TokenizedPrompt Tokenizer::model_input(const std::vector<int>& ids) const {
  const int context_length = context_length_;
  const bool has_bos = bos_id() >= 0;
  const int capacity = context_length - 1 - (has_bos ? 1 : 0);
  if (capacity < 0) throw Error(ErrorCategory::Input, "", "context length " + std::to_string(context_length) + " is too short for bos/eos");
  TokenizedPrompt out;
  out.length = static_cast<int>(std::min<size_t>(ids.size(), static_cast<size_t>(capacity)));
  out.ids77.reserve(static_cast<size_t>(context_length));
  if (has_bos) out.ids77.push_back(bos_id());
  out.ids77.insert(out.ids77.end(), ids.begin(), ids.begin() + out.length);
  out.ids77.push_back(eos_id());
  out.ids77.resize(static_cast<size_t>(context_length), pad_id());
  if (ids.size() > static_cast<size_t>(out.length))
    out.dropped = decode(std::vector<int>(ids.begin() + out.length, ids.end()));
  return out;
}

std::shared_ptr<const Tokenizer> load_tokenizer(const std::string& dir, text::ClipCleaning cleaning,
                                                int default_context_length) {
  if (!fs::is_directory(dir)) throw Error(ErrorCategory::Input, "", "tokenizer folder " + dir + " does not exist");
  const std::string pad = special_token(dir, "pad_token");
  const int context_length = model_max_length(dir, default_context_length);
  if (fs::exists(dir + "/tokenizer.model"))
    return SentencePieceTokenizer::load(dir + "/tokenizer.model", context_length, pad);

  const std::string vocab_json = dir + "/vocab.json", merges_txt = dir + "/merges.txt";
  if (!fs::exists(vocab_json) || !fs::exists(merges_txt))
    throw Error(ErrorCategory::Input, "", "tokenizer folder " + dir + " has neither tokenizer.model nor vocab.json + merges.txt");
  auto vocab = shared_vocabulary(vocab_json, merges_txt);
  std::string bos = special_token(dir, "bos_token"), eos = special_token(dir, "eos_token");
  if (bos.empty()) bos = kClipBos;
  if (eos.empty()) eos = kClipEos;
  const int eos_id = required_id(*vocab, eos, "eos token");
  const int pad_id = pad.empty() ? eos_id : required_id(*vocab, pad, "pad token");
  return std::make_shared<ClipBpeTokenizer>(vocab, pad_id, context_length, required_id(*vocab, bos, "bos token"), eos_id,
                                            cleaning);
}

std::string bundled_clip_dir() {
  std::vector<std::string> candidates;
  if (const char* env = std::getenv("SDXL_CLIP_DIR")) candidates.push_back(env);
  const std::string exe = io::executable_dir();
  if (!exe.empty()) {
    candidates.push_back(exe + "/../share/sdxl-gen/clip");
    candidates.push_back(exe + "/data/clip");
  }
  candidates.push_back("data/clip");
  std::string tried;
  for (const auto& dir : candidates) {
    std::error_code ec;
    if (fs::is_regular_file(dir + "/vocab.json", ec) && fs::is_regular_file(dir + "/merges.txt", ec)) return dir;
    tried += (tried.empty() ? "" : ", ") + dir;
  }
  throw Error(ErrorCategory::Input, "", "CLIP vocab.json + merges.txt not found (looked in " + tried + "; set SDXL_CLIP_DIR)");
}

std::shared_ptr<const Tokenizer> bundled_clip_tokenizer(int pad_id, int context_length, text::ClipCleaning cleaning) {
  const std::string dir = bundled_clip_dir();
  auto vocab = shared_vocabulary(dir + "/vocab.json", dir + "/merges.txt");
  return std::make_shared<ClipBpeTokenizer>(vocab, pad_id, context_length, required_id(*vocab, kClipBos, "bos token"),
                                            required_id(*vocab, kClipEos, "eos token"), cleaning);
}

}  // namespace sdxl
