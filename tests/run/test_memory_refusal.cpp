// The up-front memory refusal of the run layer (Run::prepare, RunSpec::memory_available): each item is
// estimated with its own size, a single request that cannot fit fails prepare with a resource error on
// "size", and a prompt-file item that cannot fit becomes an invalid item (FILE:LINE:) while the others stay
// to run. Nothing loads: prepare alone is exercised.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>
#include <string>

#include "sdxl/run.h"
#include "test_util.h"

namespace sdxl {
namespace {

// 64 MiB: far above what the tiny model needs at 64x64, far below what 1024x1024 needs (its decoded float
// image and 8-bit copy alone are 15 MiB, the VAE's full-resolution activations several times that).
constexpr uint64_t kBudget = 64ull << 20;

RunSpec tiny_spec(const std::string& size) {
  RunSpec s;
  s.given = {{"prompt", "a fox"}, {"seed", 1}, {"steps", 2}, {"size", size}};
  s.pipeline.model = "tiny";
  s.pipeline.device.kind = DeviceKind::Cpu;  // the refusal is for host memory
  s.pipeline.dtype = s.pipeline.vae_dtype = DType::Fp32;
  s.memory_available = kBudget;
  s.output.in_memory = true;
  return s;
}

TEST(RunMemoryRefusal, SingleRequestAboveTheBudgetFailsPrepare) {
  sdxl::Run small;
  EXPECT_EQ(small.prepare(tiny_spec("64x64")).pending, 1);
  sdxl::Run large;
  try {
    large.prepare(tiny_spec("1024x1024"));
    FAIL() << "1024x1024 was not refused with a budget of 64 MiB";
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::Resource);
    EXPECT_EQ(e.field(), "size");
    EXPECT_EQ(e.detail().rfind("1024x1024 needs at least ", 0), 0u) << e.detail();
    EXPECT_NE(e.detail().find(" of memory, 0.1 GiB are available"), std::string::npos) << e.detail();
  }
}

TEST(RunMemoryRefusal, PromptFileItemAboveTheBudgetIsInvalidAndTheOthersRun) {
  std::string dir = test::temp_path("run_memory_refusal_XXXXXX");
  ASSERT_NE(mkdtemp(dir.data()), nullptr);
  const std::string file = dir + "/p.jsonl";
  std::ofstream(file) << R"({"prompt": "small", "size": "64x64"})" << "\n"
                      << R"({"prompt": "large", "size": "1024x1024"})" << "\n"
                      << R"({"prompt": "small again", "size": "64x64"})" << "\n";
  RunSpec spec = tiny_spec("64x64");
  spec.given.erase("prompt");
  spec.prompt_file = file;
  spec.output.in_memory = false;
  spec.output.out_dir = dir + "/out";
  sdxl::Run run;
  const RunPlan& plan = run.prepare(spec);
  ASSERT_EQ(plan.items.size(), 3u);
  EXPECT_EQ(plan.items[0].error, "");
  EXPECT_EQ(plan.items[1].error.rfind(file + ":2: size: 1024x1024 needs at least ", 0), 0u) << plan.items[1].error;
  EXPECT_EQ(plan.items[2].error, "");
  EXPECT_EQ(plan.pending, 2);
}

}  // namespace
}  // namespace sdxl
