// The batch runner on the tiny model: every pending item written with its metadata, a failing item
// reported and skipped, an abandoned batch stopping with the rest counted as left.
#include <fstream>

#include "batch/runner.h"
#include "common/error.h"
#include "io/png.h"
#include "test_util.h"

namespace sdxl::test {
namespace {

struct Fixture {
  std::string dir;
  std::vector<batch::PlanItem> plan;
  std::unique_ptr<Pipeline> pipeline;

  explicit Fixture(const std::string& name) {
    dir = temp_path("runner_" + name + "_" + std::to_string(getpid()));
    std::system(("rm -rf '" + dir + "' && mkdir -p '" + dir + "'").c_str());
    std::ofstream(dir + "/p.jsonl") << R"({"prompt": "a", "seed": 1})" << "\n"
                                    << R"({"prompt": "b", "sampler": "heun"})" << "\n"
                                    << R"({"prompt": "c", "seed": 3, "num_images": 2})" << "\n"
                                    << R"({"prompt": "d", "seed": 4})" << "\n";
    batch::PlanBase base;
    base.request.sampling.size = Size{64, 64};
    base.request.sampling.steps = 1;
    base.model_name = "tiny";
    batch::OutputOptions out;
    out.out_dir = dir;
    plan = batch::plan_prompt_file(dir + "/p.jsonl", base, out);
    PipelineOptions options;
    options.model = fixture("tiny-sdxl");
    pipeline = std::make_unique<Pipeline>(options);
  }
};

TEST(BatchRunner, WritesEveryPendingItemWithMetadataAndSkipsInvalidOnes) {
  Fixture fx("all");
  batch::RunOptions options;
  options.provenance.model = "tiny";
  options.provenance.version = "test";
  std::vector<std::string> written;
  batch::RunEvents events;
  events.image_written = [&](const batch::WrittenImage& w) { written.push_back(w.path); };
  const batch::RunSummary s = batch::run_plan(fx.pipeline.get(), fx.plan, options, events);
  EXPECT_EQ(s.written, 4);
  EXPECT_EQ(s.invalid, 1);
  EXPECT_EQ(s.failed, 0);
  EXPECT_FALSE(s.abandoned);
  ASSERT_EQ(written.size(), 4u);
  EXPECT_EQ(written[2], fx.dir + "/00002-4-c.png");  // image 1 of item 2: seed 3 + 1
  io::PngText chunks;
  io::read_png(written[2], &chunks);
  const auto recorded = provenance_from_png_chunks(chunks);
  EXPECT_EQ(recorded.model, "tiny");
  EXPECT_EQ(recorded.version, "test");
  EXPECT_EQ(request_from_png_chunks(chunks, written[2]).sampling.seed.value_or(0), 4u);
}

TEST(BatchRunner, AFailingItemIsReportedAndTheRestRun) {
  Fixture fx("fail");
  std::vector<int> failed;
  batch::RunEvents events;
  events.progress = [](const batch::PlanItem& item, const Progress& p) {
    if (item.index == 2 && p.stage == "base") throw Error(ErrorCategory::Generation, "", "boom");
  };
  events.item_failed = [&](const batch::PlanItem& item, const std::exception& e) {
    failed.push_back(item.index);
    EXPECT_STREQ(e.what(), "boom");
  };
  const batch::RunSummary s = batch::run_plan(fx.pipeline.get(), fx.plan, {}, events);
  EXPECT_EQ(failed, std::vector<int>{2});
  EXPECT_EQ(s.failed, 1);
  EXPECT_EQ(s.written, 2);  // items 0 and 3
}

TEST(BatchRunner, AbandonStopsTheBatchAndCountsWhatIsLeft) {
  Fixture fx("abandon");
  batch::RunEvents events;
  events.progress = [](const batch::PlanItem& item, const Progress&) {
    if (item.index == 2) throw batch::Abandon();
  };
  const batch::RunSummary s = batch::run_plan(fx.pipeline.get(), fx.plan, {}, events);
  EXPECT_TRUE(s.abandoned);
  EXPECT_EQ(s.written, 1);
  EXPECT_EQ(s.left, 2);  // the abandoned item and the one after it
  EXPECT_FALSE(std::ifstream(fx.dir + "/00002-3-c.png").good()) << "an abandoned item writes nothing";
}

}  // namespace
}  // namespace sdxl::test
