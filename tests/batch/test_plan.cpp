// The batch planner on its own: line-stable item indices, output names, collisions, resume, shards,
// init images and output folders, all decided before any model loads.
#include <sys/stat.h>

#include <fstream>

#include "batch/plan.h"
#include "common/error.h"
#include "io/png.h"
#include "test_util.h"

namespace sdxl::test {
namespace {

std::string fresh(const std::string& name) {
  const std::string d = temp_path("plan_" + name + "_" + std::to_string(getpid()));
  std::system(("rm -rf '" + d + "' && mkdir -p '" + d + "'").c_str());
  return d;
}

batch::PlanBase base_with_seed(uint64_t seed) {
  batch::PlanBase b;
  b.request.sampling.seed = seed;
  b.request.sampling.size = Size{64, 64};
  b.model_name = "m";
  return b;
}

Error error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "no sdxl::Error thrown";
  return Error(ErrorCategory::Input, "", "none");
}

TEST(BatchPlan, BadLinesKeepTheirIndexSoNamesAreLineStable) {
  const std::string dir = fresh("stable");
  std::ofstream(dir + "/p.jsonl") << R"({"prompt": "a"})" << "\n"
                                  << R"({"prompt": "b", "steps": 0})" << "\n\n"
                                  << R"({"prompt": "c", "num_images": 2})" << "\n";
  batch::OutputOptions out;
  out.out_dir = dir + "/o";
  auto plan = batch::plan_prompt_file(dir + "/p.jsonl", base_with_seed(5), out);
  ASSERT_EQ(plan.size(), 3u);
  EXPECT_EQ(plan[1].index, 1);
  EXPECT_EQ(plan[1].error, dir + "/p.jsonl:2: steps: must be between 1 and 10000, got 0");
  EXPECT_EQ(plan[2].index, 2);
  EXPECT_EQ(plan[2].line, 4);
  EXPECT_EQ(plan[2].outputs, (std::vector<std::string>{dir + "/o/00002-5-c.png", dir + "/o/00002-6-c.png"}));
  EXPECT_EQ(batch::pending_items(plan), 2);
}

TEST(BatchPlan, CollidingNamesThrowNamingTheTemplateAndItems) {
  batch::OutputOptions out;
  out.out_dir = fresh("collide");
  out.name_template = "same.png";
  batch::PlanBase b = base_with_seed(1);
  b.request.sampling.num_images = 2;
  const Error e = error_of([&] { batch::plan_single(b, out); });
  EXPECT_EQ(e.category(), ErrorCategory::Output);
  EXPECT_EQ(e.field(), "name");
  EXPECT_EQ(e.detail(), "'same.png' gives item 0 image 0 and item 0 image 1 the same file " + out.out_dir +
                            "/same.png (add {image}, {index} or {seed} to make the names distinct)");
  out.name_template = "same-{image}.png";
  EXPECT_EQ(batch::plan_single(b, out)[0].outputs.back(), out.out_dir + "/same-1.png");
  // Shared noise gives every image the same seed: the default template needs {image} then too.
  b.request.sampling.batch_noise = BatchNoise::Shared;
  out.name_template = "{seed}.png";
  EXPECT_THROW(batch::plan_single(b, out), Error);
}

TEST(BatchPlan, ResumeMarksDoneItemsAndExistingOutputsAreListed) {
  const std::string dir = fresh("resume");
  std::ofstream(dir + "/p.txt") << "a\nb\n";
  std::ofstream(dir + "/00000-1-a.png") << "x";
  batch::OutputOptions out;
  out.out_dir = dir;
  auto plan = batch::plan_prompt_file(dir + "/p.txt", base_with_seed(1), out);
  EXPECT_EQ(batch::existing_outputs(plan), std::vector<std::string>{dir + "/00000-1-a.png"});
  out.resume = true;
  plan = batch::plan_prompt_file(dir + "/p.txt", base_with_seed(1), out);
  EXPECT_TRUE(plan[0].done);
  EXPECT_FALSE(plan[1].done);
  EXPECT_TRUE(batch::existing_outputs(plan).empty());
  out.shard_index = 1, out.shard_count = 2;
  plan = batch::plan_prompt_file(dir + "/p.txt", base_with_seed(1), out);
  ASSERT_EQ(plan.size(), 1u);
  EXPECT_EQ(plan[0].index, 1);
}

TEST(BatchPlan, EmptyPromptFileIsAnInputError) {
  const std::string dir = fresh("empty");
  std::ofstream(dir + "/p.txt") << "# nothing\n\n";
  const Error e = error_of([&] { batch::plan_prompt_file(dir + "/p.txt", base_with_seed(1), {}); });
  EXPECT_EQ(e.category(), ErrorCategory::Input);
  EXPECT_EQ(e.field(), "prompt_file");
}

TEST(BatchPlan, InitImageIsReadUpFrontAndGivesTheSize) {
  const std::string dir = fresh("init");
  io::Image img;
  img.width = 24, img.height = 16;
  img.rgb.assign(24 * 16 * 3, 7);
  io::write_png(dir + "/i.png", img);
  batch::PlanBase b = base_with_seed(1);
  b.request.img2img.init_image = dir + "/i.png";
  b.request.img2img.strength = 0.5;
  batch::OutputOptions out;
  out.out = dir + "/o.png";
  auto plan = batch::plan_single(b, out);
  EXPECT_EQ(plan[0].request.sampling.size, (Size{16, 24}));
  EXPECT_EQ(plan[0].notes, (std::vector<std::string>{
                                "note: size: 24x16 from the init image",
                                "warning: size 24x16 is below 512x512: SDXL was trained around 1024x1024 and degrades at small sizes",
                                "warning: size 24x16 is not a multiple of 64 like SDXL's training buckets (the bucket "
                                "option snaps to one)"}));
  b.size_given = true;
  Error mismatch = error_of([&] { batch::plan_single(b, out); });
  EXPECT_EQ(mismatch.category(), ErrorCategory::Usage);
  EXPECT_EQ(mismatch.field(), "size");
  b.request.img2img.init_image = dir + "/missing.png";
  Error missing = error_of([&] { batch::plan_single(b, out); });
  EXPECT_EQ(missing.category(), ErrorCategory::Input);
  EXPECT_EQ(missing.field(), "init_image");
  EXPECT_EQ(missing.detail(), dir + "/missing.png: no such file");
}

TEST(BatchPlan, OutputFolderIsCreatedWithParentsOrTheReasonIsGiven) {
  const std::string dir = fresh("dirs");
  batch::prepare_output_dir(dir + "/a/b/c", "out_dir");
  struct stat st {};
  EXPECT_EQ(stat((dir + "/a/b/c").c_str(), &st), 0);
  std::ofstream(dir + "/file") << "x";
  const Error e = error_of([&] { batch::prepare_output_dir(dir + "/file/x", "out_dir"); });
  EXPECT_EQ(e.category(), ErrorCategory::Output);
  EXPECT_EQ(e.detail(), dir + "/file is not a folder");
  const Error denied = error_of([&] { batch::prepare_output_dir("/proc/no/such", "out"); });
  EXPECT_EQ(denied.field(), "out");
  EXPECT_NE(denied.detail().find("cannot create folder /proc/no: "), std::string::npos) << denied.detail();
}

TEST(BatchPlan, ShardTextIsCheckedWithItsField) {
  EXPECT_EQ(batch::parse_shard("1/3"), (std::pair<int, int>{1, 3}));
  const Error e = error_of([] { batch::parse_shard("3/3"); });
  EXPECT_EQ(e.field(), "shard");
  EXPECT_EQ(e.category(), ErrorCategory::Usage);
}

}  // namespace
}  // namespace sdxl::test
