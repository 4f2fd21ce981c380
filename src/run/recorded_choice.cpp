#include "run/recorded_choice.h"

#include "io/paths.h"

namespace sdxl {

std::string choose_recorded_model(const std::string& given, const std::string& recorded, const char* field,
                                  std::vector<RunNote>& notes) {
  if (!given.empty()) {
    if (!recorded.empty() && recorded != given) notes.push_back({RunNote::Note, field, given + " overrides the recorded " + recorded});
    return given;
  }
  if (recorded.empty()) return "";
  if (recorded != "tiny" && !io::path_exists(recorded))
    throw input_error(field, "the PNG records " + recorded + ", which is not there (give the " + field + " path)");
  return recorded;
}

std::string choose_recorded_embeddings_dir(const std::string& given, const Provenance& recorded,
                                           std::vector<RunNote>& notes) {
  if (!given.empty()) {
    if (!recorded.embeddings_dir.empty() && recorded.embeddings_dir != given)
      notes.push_back({RunNote::Note, "embeddings_dir", given + " overrides the recorded " + recorded.embeddings_dir});
    return given;
  }
  // A missing file would silently turn its NAME into plain prompt words.
  for (const EmbeddingUse& e : recorded.embeddings)
    if (!io::path_exists(e.path))
      throw input_error("embeddings_dir", "the PNG records the embedding " + e.name + " in " + e.path +
                                              ", which is not there (give the embeddings folder)");
  return recorded.embeddings_dir;
}

void apply_recorded_runtime(PipelineOptions& options, const Provenance& recorded, std::vector<RunNote>& notes) {
  const nlohmann::json& rt = recorded.runtime;
  if (!rt.is_object()) return;
  for (auto [field, value] : {std::pair{"dtype", &options.dtype}, std::pair{"vae_dtype", &options.vae_dtype}}) {
    if (!rt.contains(field) || !rt[field].is_string()) continue;
    const std::string was_name = rt[field].get<std::string>();
    const std::optional<DType> was = find_enum(kDTypeNames, was_name);
    if (!was || *was == DType::Auto) continue;  // not a dtype this version writes
    if (*value == DType::Auto) {
      *value = *was;
      notes.push_back({RunNote::Note, field, was_name + " as recorded in the PNG"});
    } else if (*value != *was) {
      notes.push_back({RunNote::Note, field, std::string(to_string(*value)) + " overrides the recorded " + was_name});
    }
  }
  // An image made in the reproducible mode is re-run in it (its dtypes restored above keep fp32 and the rest).
  if (rt.contains("reproducible") && !options.reproducible) {
    options.reproducible = true;
    notes.push_back({RunNote::Note, "reproducible", "as recorded in the PNG"});
  }
  if (rt.contains("vae") && rt["vae"].is_string()) {
    const std::string was = rt["vae"].get<std::string>();
    if (options.vae.empty()) {
      if (!io::path_exists(was)) throw input_error("vae", "the PNG records " + was + ", which is not there (give the vae path)");
      options.vae = was;
      notes.push_back({RunNote::Note, "vae", was + " as recorded in the PNG"});
    } else if (options.vae != was) {
      notes.push_back({RunNote::Note, "vae", options.vae + " overrides the recorded " + was});
    }
  }
}

}  // namespace sdxl
