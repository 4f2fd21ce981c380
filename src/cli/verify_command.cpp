// `sdxl-gen verify GOLDEN.png... | DIR`: golden-image regression tests. Each golden is re-run from the
// request it records (`sdxl-gen --from-png GOLDEN`, run as a child process of this executable so that
// verify restores exactly what --from-png restores: model, refiner, LoRAs, embeddings, settings), the new
// image is compared with the golden and written with a diff image to --out-dir; a recorded model whose
// content changed fails the case unless --model overrides it. Exit 0 every golden passes, 1 some differ,
// 3 some golden cannot be re-run (named). --update replaces differing goldens by the new images.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iostream>
#include <set>

#include "batch/plan.h"
#include "batch/recorded.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "run/model_path.h"
#include "cli/verify_report.h"
#include "common/stopwatch.h"
#include "io/atomic_file.h"
#include "io/image_compare.h"
#include "io/png.h"
#include "weights/model_hash.h"

namespace sdxl::cli {
namespace {

struct VerifyFlags {
  std::vector<std::string> goldens;
  int max_diff = 0;
  double min_psnr = 0;
  bool has_psnr = false, update = false, json = false;
  std::string junit, report, out_dir = "verify-out";
  // Passed on to the re-run (flag, value): --model and the other overrides.
  std::string model, config, refiner, refiner_config, vae, embeddings_dir, lora_dir, device, dtype, vae_dtype;
  int threads = 0;
};

bool is_dir(const std::string& p) {
  struct stat st {};
  return stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool ends_with_png(const std::string& name) {
  return name.size() > 4 && std::equal(name.end() - 4, name.end(), ".png", [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == b;
         });
}

// GOLDEN.png arguments as given; a folder contributes its *.png files (not recursive), sorted.
std::vector<std::string> golden_files(const std::vector<std::string>& args) {
  std::vector<std::string> files;
  for (const auto& a : args) {
    if (!is_dir(a)) {
      files.push_back(a);
      continue;
    }
    std::vector<std::string> in_dir;
    if (DIR* d = opendir(a.c_str())) {
      while (const dirent* e = readdir(d))
        if (ends_with_png(e->d_name)) in_dir.push_back(a + (a.back() == '/' ? "" : "/") + e->d_name);
      closedir(d);
    }
    if (in_dir.empty()) throw input_error("", "verify: " + a + " holds no .png files");
    std::sort(in_dir.begin(), in_dir.end());
    files.insert(files.end(), in_dir.begin(), in_dir.end());
  }
  return files;
}

std::string stem(const std::string& path) {
  std::string name = path.substr(path.find_last_of('/') + 1);
  return name.size() > 4 ? name.substr(0, name.size() - 4) : name;
}

struct ChildResult {
  int code = -1;
  std::string last_error;  // the child's last stderr line
};

// Runs this executable with `args`, stdout and stderr into `log`.
ChildResult run_self(const std::vector<std::string>& args, const std::string& log) {
  ChildResult r;
  const pid_t pid = fork();
  if (pid < 0) throw Error(ErrorCategory::Generation, "", std::string("verify: cannot start a re-run: ") + std::strerror(errno));
  if (pid == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv("/proc/self/exe", argv.data());
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  std::ifstream in(log);
  for (std::string line; std::getline(in, line);)
    if (line.rfind("sdxl-gen: ", 0) == 0 && line.find("note: ") == std::string::npos &&
        line.find("warning: ") == std::string::npos)
      r.last_error = line.substr(10);
  return r;
}

std::vector<std::string> rerun_args(const VerifyFlags& f, const std::string& golden, const std::string& out) {
  std::vector<std::string> a = {"sdxl-gen", "--from-png", golden, "--out", out, "--overwrite", "--quiet"};
  const std::pair<const char*, const std::string*> pass[] = {
      {"--model", &f.model},       {"--config", &f.config},     {"--refiner", &f.refiner},
      {"--refiner-config", &f.refiner_config}, {"--vae", &f.vae}, {"--embeddings-dir", &f.embeddings_dir},
      {"--lora-dir", &f.lora_dir}, {"--device", &f.device},     {"--dtype", &f.dtype},
      {"--vae-dtype", &f.vae_dtype}};
  for (const auto& [flag, value] : pass)
    if (!value->empty()) a.insert(a.end(), {flag, *value});
  if (f.threads > 0) a.insert(a.end(), {"--threads", std::to_string(f.threads)});
  return a;
}

// The recorded model (or refiner) changed content since the golden was made: the case fails unless the user
// overrides the model (then the override is what is being tested).
std::string changed_model(const Provenance& p, const VerifyFlags& f) {
  const std::pair<std::string, std::string> recorded[] = {
      {f.model.empty() ? p.model : "", p.model_hash}, {f.refiner.empty() ? p.refiner : "", p.refiner_hash}};
  for (const auto& [path, hash] : recorded) {
    if (path.empty() || hash.empty()) continue;
    std::string config;
    std::string resolved;
    try {
      resolved = resolve_model_path(path, &config);
    } catch (const Error&) {
      continue;  // missing: the re-run reports it (exit 3)
    }
    const std::string now = model_hash(resolved);
    if (now != hash)
      return path + " has changed since the golden was made (content hash " + now + ", recorded " + hash +
             "); pass --model to test another model";
  }
  return "";
}

int run_verify(VerifyFlags& f) {
  if (f.max_diff < 0 || f.max_diff > 255) throw UsageError("--max-diff: must be in 0..255");
  if (f.has_psnr && !(f.min_psnr >= 0 && f.min_psnr < 1000)) throw UsageError("--min-psnr: must be a number of dB >= 0");
  const std::vector<std::string> goldens = golden_files(f.goldens);
  batch::prepare_output_dir(f.out_dir, "out_dir");
  const Stopwatch total;
  std::vector<VerifyCase> cases;
  std::set<std::string> names;
  for (const auto& golden : goldens) {
    VerifyCase c;
    c.golden = golden;
    c.name = stem(golden);
    for (int n = 2; !names.insert(c.name).second; ++n) c.name = stem(golden) + "_" + std::to_string(n);
    const Stopwatch clock;
    try {
      const batch::Recorded recorded = batch::read_recorded(golden);  // no sdxl-gen request: cannot be re-run
      c.request = to_json(recorded.request);
      const std::string changed = changed_model(recorded.provenance, f);
      const std::string out = f.out_dir + "/" + c.name + ".new.png";
      const ChildResult child = run_self(rerun_args(f, golden, out), f.out_dir + "/" + c.name + ".log");
      if (child.code != 0) {
        c.state = "error";
        c.message = "cannot be re-run (exit " + std::to_string(child.code) + "): " +
                    (child.last_error.empty() ? "see " + f.out_dir + "/" + c.name + ".log" : child.last_error);
      } else {
        c.new_image = out;
        const io::Image a = io::read_png(golden), b = io::read_png(out);
        const io::CompareResult r = io::compare_images(a, b);
        c.max_diff = r.max_abs_diff;
        c.psnr_db = r.psnr_db;
        c.differing_pixels = r.differing_pixels;
        if (!r.same_size) {
          c.state = "fail";
          c.message = "size differs: golden " + std::to_string(a.width) + "x" + std::to_string(a.height) + ", new " +
                      std::to_string(b.width) + "x" + std::to_string(b.height);
        } else {
          c.diff_image = f.out_dir + "/" + c.name + ".diff.png";
          io::write_png(c.diff_image, io::diff_image(a, b), {});
          const bool ok = r.max_abs_diff <= f.max_diff && (!f.has_psnr || r.psnr_db >= f.min_psnr);
          c.state = ok && changed.empty() ? "pass" : "fail";
          if (!ok)
            c.message = "differs: max diff " + std::to_string(r.max_abs_diff) + " (allowed " +
                        std::to_string(f.max_diff) + "), PSNR " + psnr_text(r.psnr_db) + " dB, " +
                        std::to_string(r.differing_pixels) + " differing pixels";
          if (!changed.empty()) c.message += (c.message.empty() ? "" : "; ") + changed;
        }
        if (f.update && c.state == "fail" && changed.empty()) {
          io::write_file_atomic(golden, io::read_file(out));
          c.message += " (golden updated)";
        }
      }
    } catch (const Error& e) {
      c.state = "error";
      c.message = std::string("cannot be re-run: ") + e.what();
    }
    c.seconds = clock.seconds();
    if (f.json)
      std::cout << case_json(c).dump() << std::endl;
    else
      std::cout << (c.state == "pass" ? "PASS  " : c.state == "fail" ? "FAIL  " : "ERROR ") << golden
                << (c.message.empty() ? "" : ": " + c.message) << std::endl;
    cases.push_back(std::move(c));
  }
  const std::string limits = "max diff " + std::to_string(f.max_diff) +
                             (f.has_psnr ? ", min PSNR " + std::to_string(f.min_psnr) + " dB" : "");
  if (!f.junit.empty()) io::write_file_atomic(f.junit, junit_xml(cases, total.seconds()));
  if (!f.report.empty()) io::write_file_atomic(f.report, html_report(cases, limits));
  int failed = 0, errors = 0;
  for (const auto& c : cases) failed += c.state == "fail", errors += c.state == "error";
  if (!f.json)
    std::cout << cases.size() - failed - errors << " passed, " << failed << " failed" << (errors ? ", " + std::to_string(errors) + " could not be re-run" : "") << std::endl;
  return errors ? kInput : failed ? kFailed : kOk;
}

}  // namespace

Command add_verify(CLI::App& app) {
  auto f = std::make_shared<VerifyFlags>();
  auto* sub = app.add_subcommand(
      "verify", "Golden-image regression test: re-run the request each golden PNG records and compare (exit 0 pass, "
                "1 differ, 3 cannot re-run)");
  sub->add_option("goldens", f->goldens, "Golden PNGs, or folders of them")->required();
  sub->add_option("--max-diff", f->max_diff, "Largest allowed per-channel difference (default 0: bit for bit)");
  auto* psnr = sub->add_option("--min-psnr", f->min_psnr, "Smallest allowed PSNR in dB");
  sub->add_option("--out-dir", f->out_dir, "Where the new and diff images and the re-runs' logs go")->capture_default_str();
  sub->add_option("--junit", f->junit, "Write a JUnit XML report (one testcase per golden)");
  sub->add_option("--report", f->report, "Write a self-contained HTML report (golden | new | diff)");
  sub->add_flag("--json", f->json, "One JSON line per golden instead of text");
  sub->add_flag("--update", f->update, "Replace each differing golden by its new image (never by default)");
  for (auto [flag, value, help] : {std::tuple{"--model", &f->model, "Re-run with this model instead of the recorded one"},
                                   std::tuple{"--config", &f->config, "Config folder for a single-file --model"},
                                   std::tuple{"--refiner", &f->refiner, "Refiner instead of the recorded one"},
                                   std::tuple{"--refiner-config", &f->refiner_config, "Config folder for the refiner"},
                                   std::tuple{"--vae", &f->vae, "Standalone VAE instead of the recorded one"},
                                   std::tuple{"--embeddings-dir", &f->embeddings_dir, "Embeddings folder instead of the recorded one"},
                                   std::tuple{"--lora-dir", &f->lora_dir, "Folder for <lora:NAME> prompt tags"},
                                   std::tuple{"--device", &f->device, "Device for the re-runs"},
                                   std::tuple{"--dtype", &f->dtype, "Dtype for the re-runs"},
                                   std::tuple{"--vae-dtype", &f->vae_dtype, "VAE dtype for the re-runs"}})
    sub->add_option(flag, *value, help)->group("Overrides");
  sub->add_option("--threads", f->threads, "CPU threads for the re-runs")->group("Overrides");
  return Command{sub, [f, psnr] {
                   f->has_psnr = psnr->count() > 0;
                   return run_verify(*f);
                 }};
}

}  // namespace sdxl::cli
