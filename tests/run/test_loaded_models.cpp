// The run layer for long-lived front ends (sdxl/run.h): a LoadedModels set reused across runs and replaced
// when the pipeline options change, in-memory outputs that carry exactly the bytes a file run writes, and
// in-memory input images.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "io/atomic_file.h"
#include "io/png.h"
#include "sdxl/run.h"
#include "test_util.h"

namespace sdxl {
namespace {

RunSpec tiny_spec(uint64_t seed) {
  RunSpec s;
  s.given = {{"prompt", "a fox"}, {"seed", seed}, {"steps", 2}, {"size", "64x64"}, {"sampler", "euler"}};
  s.pipeline.model = "tiny";
  s.pipeline.dtype = s.pipeline.vae_dtype = DType::Fp32;
  s.version = "test";
  return s;
}

std::string fresh_dir(const std::string& name) {
  std::string dir = test::temp_path(name + "_XXXXXX");
  EXPECT_NE(mkdtemp(dir.data()), nullptr);
  return dir;
}

struct Captured {
  std::vector<std::string> pngs, paths;
  int previews = 0;
};

RunEvents capture(Captured& c) {
  RunEvents e;
  e.image_written = [&c](const ImageWritten& w) {
    c.pngs.emplace_back(w.png);
    c.paths.push_back(w.path);
  };
  e.progress = [&c](const RunItem&, const Progress& p) { c.previews += p.preview.defined(); };
  return e;
}

TEST(RunInMemory, SameBytesAsTheFileRunWritesAndNoFile) {
  const std::string dir = fresh_dir("run_memory");
  RunSpec file_spec = tiny_spec(7);
  file_spec.output.out = dir + "/fox.png";
  sdxl::Run file_run;
  file_run.prepare(file_spec);
  Captured from_file;
  ASSERT_EQ(file_run.execute(capture(from_file)).written, 1);
  const std::string written = io::read_file(dir + "/fox.png");
  ASSERT_EQ(from_file.pngs.size(), 1u);
  EXPECT_EQ(from_file.pngs[0], written);  // the event carries the file's bytes

  RunSpec memory_spec = tiny_spec(7);
  memory_spec.output.in_memory = true;
  memory_spec.output.out_dir = dir + "/never";
  sdxl::Run memory_run;
  memory_run.prepare(memory_spec);
  Captured in_memory;
  ASSERT_EQ(memory_run.execute(capture(in_memory)).written, 1);
  ASSERT_EQ(in_memory.pngs.size(), 1u);
  EXPECT_EQ(in_memory.pngs[0], written);  // pixels and metadata
  EXPECT_EQ(in_memory.paths[0], "");
  struct stat st {};
  EXPECT_NE(stat((dir + "/never").c_str(), &st), 0) << "in_memory created the out_dir";
}

// A server's uploads: the init image and mask handed over in memory (GenerationRequest::input_images) under
// names no file has give the pixels of the run that reads the same images from files.
TEST(RunInMemory, InputImagesFromMemoryGiveTheFileRunsPixels) {
  const std::string init = test::fixture("pipeline_golden/base_euler_4_cfg5.png"), mask = test::fixture("inpaint_golden/mask.png");
  auto inpaint_spec = [](const std::string& init_name, const std::string& mask_name) {
    RunSpec s = tiny_spec(11);
    s.given.erase("size");  // the init image's (64x96)
    s.given["init_image"] = init_name;
    s.given["mask"] = mask_name;
    s.given["strength"] = 0.6;
    s.given["masked_content"] = "fill";
    s.output.in_memory = true;
    return s;
  };
  sdxl::Run file_run;
  file_run.prepare(inpaint_spec(init, mask));
  Captured from_files;
  ASSERT_EQ(file_run.execute(capture(from_files)).written, 1);

  RunSpec memory_spec = inpaint_spec("upload:init_images", "upload:mask");
  memory_spec.defaults.input_images["upload:init_images"] = std::make_shared<const std::string>(io::read_file(init));
  memory_spec.defaults.input_images["upload:mask"] = std::make_shared<const std::string>(io::read_file(mask));
  sdxl::Run memory_run;
  memory_run.prepare(memory_spec);
  Captured from_memory;
  ASSERT_EQ(memory_run.execute(capture(from_memory)).written, 1);
  ASSERT_EQ(from_files.pngs.size(), 1u);
  ASSERT_EQ(from_memory.pngs.size(), 1u);
  const io::Image a = io::decode_png(from_files.pngs[0], "file run"), b = io::decode_png(from_memory.pngs[0], "memory run");
  EXPECT_EQ(a.width, 64);
  EXPECT_EQ(a.height, 96);
  EXPECT_TRUE(a.width == b.width && a.height == b.height && a.rgb == b.rgb) << "the in-memory inputs changed the pixels";
  EXPECT_NE(from_memory.pngs[0].find("upload:init_images"), std::string::npos) << "the metadata records the name";
}

TEST(RunInMemory, PreviewsGoToEventsOnlyAndAreNotRecorded) {
  const std::string dir = fresh_dir("run_preview");
  RunSpec spec = tiny_spec(8);
  spec.given["preview"] = dir + "/preview.png";
  spec.output.in_memory = true;
  sdxl::Run run;
  run.prepare(spec);
  Captured c;
  ASSERT_EQ(run.execute(capture(c)).written, 1);
  EXPECT_GE(c.previews, 2);  // one a step (preview_every 1)
  struct stat st {};
  EXPECT_NE(stat((dir + "/preview.png").c_str(), &st), 0) << "an in-memory run wrote its preview file";
  ASSERT_EQ(c.pngs.size(), 1u);
  EXPECT_EQ(c.pngs[0].find("preview.png"), std::string::npos) << "the preview path was recorded in the PNG";

  // The same image as the run without a preview.
  RunSpec plain = tiny_spec(8);
  plain.output.in_memory = true;
  sdxl::Run again;
  again.prepare(plain);
  Captured p;
  again.execute(capture(p));
  ASSERT_EQ(p.pngs.size(), 1u);
  EXPECT_EQ(p.pngs[0], c.pngs[0]);
}

TEST(LoadedModels, ReusedWhileTheOptionsAgreeReplacedOtherwise) {
  LoadedModels models;
  EXPECT_FALSE(models.loaded());
  RunSpec spec = tiny_spec(1);
  spec.output.in_memory = true;
  Captured first;
  {
    sdxl::Run run;
    run.prepare(spec);
    const RunSummary s = run.execute(capture(first), &models);
    ASSERT_EQ(s.written, 1);
    EXPECT_GT(s.load_s, 0.0);
  }
  ASSERT_TRUE(models.loaded());
  EXPECT_EQ(models.loads(), 1);
  EXPECT_TRUE(models.options().dtype == DType::Fp32);
  EXPECT_FALSE(models.options().low_memory) << "a kept set got the single-image low-memory schedule";

  Captured second;
  {
    sdxl::Run run;
    run.prepare(spec);
    const RunSummary s = run.execute(capture(second), &models);
    ASSERT_EQ(s.written, 1);
    EXPECT_EQ(s.load_s, 0.0);
  }
  EXPECT_EQ(models.loads(), 1) << "the same options loaded the models again";
  EXPECT_EQ(second.pngs, first.pngs);  // a kept set gives the same image

  RunSpec other = spec;  // another pipeline option: the set is replaced, not added to
  other.pipeline.vae_dtype = DType::Bf16;
  {
    sdxl::Run run;
    run.prepare(other);
    ASSERT_EQ(run.execute({}, &models).written, 1);
  }
  EXPECT_EQ(models.loads(), 2);
  EXPECT_TRUE(models.options().vae_dtype == DType::Bf16);

  models.release();
  EXPECT_FALSE(models.loaded());
  models.load(spec.pipeline);  // "tiny" resolved as prepare resolves it: the next run reuses this load
  EXPECT_EQ(models.loads(), 3);
  sdxl::Run run;
  run.prepare(spec);
  run.execute({}, &models);
  EXPECT_EQ(models.loads(), 3);
}

}  // namespace
}  // namespace sdxl
