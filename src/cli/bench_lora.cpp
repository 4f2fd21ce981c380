#include "cli/bench_lora.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "adapters/adapter_session.h"
#include "adapters/synthetic_lora.h"
#include "cli/progress.h"
#include "common/error.h"
#include "common/stopwatch.h"
#include "io/safetensors.h"
#include "text/clip_text_model.h"
#include "unet/unet.h"
#include "weights/presets.h"

namespace sdxl::cli {
namespace {

// A fresh temporary folder whose files are removed whatever happens (the random checkpoint is as large as the
// models). POSIX calls, not std::filesystem: libtorch.so exports its own build of some std::filesystem symbols,
// and remove_all resolved there crashes.
struct TempDir {
  std::string path;
  std::vector<std::string> files;
  TempDir() {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/sdxl-gen-bench-lora-XXXXXX";
    if (!::mkdtemp(pattern.data())) throw Error(ErrorCategory::Input, "", "bench --lora: cannot create a temporary folder " + pattern);
    path = pattern;
  }
  std::string file(const std::string& name) { return files.emplace_back(path + "/" + name); }
  ~TempDir() {
    for (const auto& f : files) std::remove(f.c_str());
    ::rmdir(path.c_str());
  }
};

double file_mb(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? st.st_size / 1048576.0 : 0.0;
}

}  // namespace

void bench_lora(const Placement& placement, int64_t rank, bool json,
                const std::function<void(torch::nn::Module&)>& randomize, nlohmann::json& out) {
  const auto opts = at::TensorOptions().device(placement.device).dtype(placement.dtype);
  std::map<std::string, std::shared_ptr<torch::nn::Module>> models;
  for (auto [name, projection] : {std::pair{"text_encoder", false}, std::pair{"text_encoder_2", true}}) {
    CLIPTextModel m(CLIPTextConfig::from_json(preset_config("sdxl-base", name), "sdxl-base preset"), projection, opts);
    models[name] = m.ptr();
  }
  models["unet"] = UNet2DConditionModel(UNetConfig::from_json(preset_config("sdxl-base", "unet"), "sdxl-base preset"), opts).ptr();
  for (auto& [_, m] : models) randomize(*m);
  synchronize(placement.device);

  // The models' weights as a checkpoint file: what a merged weight is restored from (AdapterSession
  // re-reads the mapped file as the loader does), written in the models' dtype.
  TempDir dir;
  Checkpoint checkpoint;
  checkpoint.path = dir.path;
  std::vector<std::shared_ptr<io::SafetensorsFile>> files;
  for (auto& [name, m] : models) {
    std::map<std::string, at::Tensor> params;
    for (const auto& p : m->named_parameters(/*recurse=*/true)) params[p.key()] = p.value().detach().cpu();
    const std::string file = dir.file(name + ".safetensors");
    io::save_safetensors(file, params);
    files.push_back(io::SafetensorsFile::open(file));
    ComponentWeights& c = checkpoint.components[name];
    for (const auto& t : files.back()->tensors()) c.tensors[t.name] = files.back()->tensor(t.name);
    c.config = preset_config("sdxl-base", name);
    c.source = file;
  }

  Stopwatch timer;
  const SyntheticLora lora = synthetic_kohya_lora(checkpoint, rank, /*seed=*/0);
  const std::string lora_path = dir.file("random_rank" + std::to_string(rank) + ".safetensors");
  io::save_safetensors(lora_path, lora.tensors, {{"ss_network_dim", std::to_string(rank)}});
  out["lora_rank"] = rank;
  out["lora_file_mb"] = file_mb(lora_path);
  out["lora_write_s"] = timer.seconds();

  AdapterSession session(checkpoint);
  const double rss_before = current_rss_mb();
  std::vector<std::string> reports;
  timer.restart();
  session.select({LoraSpec{lora_path, 1.0, "", ""}}, &reports);
  const double read_s = timer.seconds();
  timer.restart();
  for (auto& [name, m] : models) session.sync(name, *m);
  synchronize(placement.device);
  const double merge_s = timer.seconds();
  const double rss_applied = current_rss_mb();
  const size_t merged = session.merged_weights();

  timer.restart();
  session.select({});
  for (auto& [name, m] : models) session.sync(name, *m);
  synchronize(placement.device);
  const double unmerge_s = timer.seconds();

  out["lora_report"] = reports.empty() ? "" : reports.front();
  out["lora_modules"] = lora.modules;
  out["lora_merged_weights"] = merged;
  out["lora_read_s"] = read_s;  // read, sha256 of the file and its data section, match every key
  out["lora_merge_s"] = merge_s;
  out["lora_apply_s"] = read_s + merge_s;
  out["lora_unmerge_s"] = unmerge_s;
  out["lora_rss_before_mb"] = rss_before;
  out["lora_rss_applied_mb"] = rss_applied;
  out["lora_rss_unmerged_mb"] = current_rss_mb();
  out["lora_peak_rss_mb"] = peak_rss_mb();
  for (const auto& r : reports) std::cerr << r << "\n";
  if (!json)
    std::cerr << "lora rank " << rank << " (" << out["lora_file_mb"].get<double>() << " MB): read " << read_s
              << " s, merge " << merge_s << " s, unmerge " << unmerge_s << " s; RSS " << rss_before << " -> "
              << rss_applied << " MB\n";
}

}  // namespace sdxl::cli
