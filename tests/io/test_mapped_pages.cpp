// Releasing mapped checkpoint pages after a copy: the data stays readable and correct, the resident set
// shrinks, and tensors that are not file mappings are never touched.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "io/mapped_pages.h"
#include "io/safetensors.h"
#include "test_util.h"

namespace sdxl {
namespace {

// Resident file-backed memory of this process (kB), from /proc/self/status.
long rss_file_kb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("RssFile:", 0) == 0) return std::stol(line.substr(8));
  return -1;
}

TEST(MappedPages, ReleasedPagesReadBackUnchangedAndLeaveTheResidentSet) {
  c10::InferenceMode guard;
  const std::string path = test::temp_path("mapped_pages.safetensors");
  at::Tensor values = at::arange(16 * 1024 * 1024, at::kFloat);  // 64 MiB
  io::save_safetensors(path, {{"w", values}});
  auto file = io::SafetensorsFile::open(path);
  at::Tensor view = file->tensor("w");

  const long before = rss_file_kb();
  ASSERT_GE(before, 0) << "no RssFile in /proc/self/status";
  ASSERT_TRUE(view.equal(values));  // reads every page
  const long touched = rss_file_kb();
  EXPECT_GT(touched - before, 60 * 1024) << "reading the mapping should make ~64 MiB resident";

  io::release_mapped_pages(view);
  EXPECT_LT(rss_file_kb(), touched - 60 * 1024) << "the pages were not released";
  EXPECT_TRUE(view.equal(values)) << "data changed after release";
}

TEST(MappedPages, HeapTensorsAreLeftAlone) {
  at::Tensor heap = at::arange(4 * 1024 * 1024, at::kFloat);
  const at::Tensor copy = heap.clone();
  io::release_mapped_pages(heap);
  io::release_mapped_pages(heap.narrow(0, 1000, 100000));
  io::release_mapped_pages(at::Tensor());
  EXPECT_TRUE(heap.equal(copy)) << "a heap tensor was zeroed";
}

}  // namespace
}  // namespace sdxl
