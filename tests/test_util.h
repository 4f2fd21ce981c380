// Shared helpers for the golden tests: fixture paths, golden tensors, named closeness checks.
#pragma once
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "io/atomic_file.h"
#include "io/safetensors.h"

namespace sdxl::test {

// SDXL_FIXTURES is the build's copy of tests/fixtures (cmake/materialize_fixtures.cmake): the model folders
// there are plain files, their git-symlink placeholders resolved; everything else links to tests/fixtures.
inline std::string fixture(const std::string& rel) { return std::string(SDXL_FIXTURES) + "/" + rel; }
// A model folder named by its repository path (e.g. "tests/pipeline/data/tiny-sdxl-vpred"), as the build
// materialised it: SDXL_FIXTURES/<folder name>.
inline std::string model_folder(const std::string& repo_path) { return fixture(repo_path.substr(repo_path.rfind('/') + 1)); }
// A JSON file (fixture configs and golden descriptions).
inline nlohmann::json read_json(const std::string& path) { return nlohmann::json::parse(io::read_file(path)); }
// The tiny fixture's text context length: its text encoders' max_position_embeddings (what a tokenizer
// folder without model_max_length falls back to).
inline int tiny_context_length() {
  return read_json(fixture("tiny-sdxl/text_encoder/config.json")).at("max_position_embeddings").get<int>();
}
// Device of the model tests that can run on a GPU: "cpu" unless SDXL_TEST_DEVICE says otherwise
// (scripts/device-check.sh runs them with SDXL_TEST_DEVICE=cuda).
inline std::string test_device() {
  const char* d = std::getenv("SDXL_TEST_DEVICE");
  return d && *d ? d : "cpu";
}
// A path for a scratch file in the test temp folder.
inline std::string temp_path(const std::string& name) { return ::testing::TempDir() + "/" + name; }

// All tensors of a safetensors file, keyed by name (views of the mapped data); load_golden takes a
// path relative to tests/fixtures.
inline std::map<std::string, at::Tensor> load_golden_abs(const std::string& path) {
  auto file = io::SafetensorsFile::open(path);
  std::map<std::string, at::Tensor> out;
  for (const auto& t : file->tensors()) out[t.name] = file->tensor(t.name);
  return out;
}
inline std::map<std::string, at::Tensor> load_golden(const std::string& rel) { return load_golden_abs(fixture(rel)); }

// Max |a - b| (as double) after bringing both to float32 CPU; shapes must match exactly.
inline double max_abs_diff(const at::Tensor& a, const at::Tensor& b) {
  auto x = a.detach().to(at::kCPU, at::kFloat), y = b.detach().to(at::kCPU, at::kFloat);
  if (x.sizes() != y.sizes()) return std::numeric_limits<double>::infinity();
  if (x.numel() == 0) return 0.0;
  return (x - y).abs().max().item<double>();
}

// With SDXL_TEST_ERROR_LOG=<file>, every golden comparison appends one tab-separated line: test, quantity,
// max abs difference, golden peak |x|, bound. scripts/tolerance_table.py turns the log into the measured
// error distribution per quantity that the bounds (tests/pipeline/golden_case.h and others) cite.
inline void log_golden_error(const std::string& quantity, double diff, double peak, double bound) {
  const char* path = std::getenv("SDXL_TEST_ERROR_LOG");
  if (!path || !*path) return;
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const std::string test = info ? std::string(info->test_suite_name()) + "." + info->name() : "?";
  if (FILE* f = std::fopen(path, "a")) {
    std::fprintf(f, "%s\t%s\t%.9g\t%.9g\t%.9g\n", test.c_str(), quantity.c_str(), diff, peak, bound);
    std::fclose(f);
  }
}

// gtest assertion naming the tensor: shapes equal and max abs diff <= atol.
inline ::testing::AssertionResult AllClose(const std::string& name, const at::Tensor& got, const at::Tensor& want,
                                           double atol) {
  if (got.sizes() != want.sizes())
    return ::testing::AssertionFailure() << name << ": shape " << got.sizes() << " vs golden " << want.sizes();
  double d = max_abs_diff(got, want);
  if (std::getenv("SDXL_TEST_ERROR_LOG"))
    log_golden_error(name, d, want.numel() ? want.detach().abs().max().item<double>() : 0.0, atol);
  if (!(d <= atol)) return ::testing::AssertionFailure() << name << ": max abs diff " << d << " > " << atol;
  return ::testing::AssertionSuccess();
}

// The message of the sdxl::Error that `fn` throws, or "(no error)" when it returns normally.
template <typename Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

// The sdxl::Error that `fn` throws (its category and message), or nullopt when it returns normally.
template <typename Fn>
std::optional<Error> error_thrown(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e;
  }
  return std::nullopt;
}

}  // namespace sdxl::test
