// Micro-conditioning time ids (diffusers v0.27.2 rules, README-models.md sec. 5 item 2): defaults,
// negative rules, (height, width) order, warnings, and the add_time_ids recorded in the pipeline goldens.
#include <gtest/gtest.h>

#include <fstream>

#include "common/error.h"
#include "test_util.h"
#include "unet/micro_conditioning.h"

namespace sdxl {
namespace {

at::Tensor row(std::vector<float> v) { return at::tensor(v).reshape({1, -1}); }

::testing::AssertionResult Ids(const std::string& what, const at::Tensor& got, std::vector<float> want) {
  if (got.scalar_type() != at::kFloat) return ::testing::AssertionFailure() << what << ": not float32";
  return test::AllClose(what, got, row(std::move(want)), 0);
}

const PixelSize kImage{96, 64};  // height 96, width 64

TEST(MicroConditioning, BaseDefaultsToImageSizeAndZeroCrop) {
  TimeIds ids = base_time_ids({}, kImage);
  EXPECT_TRUE(Ids("positive", ids.positive, {96, 64, 0, 0, 96, 64}));
  EXPECT_TRUE(Ids("negative", ids.negative, {96, 64, 0, 0, 96, 64}));
  EXPECT_TRUE(micro_conditioning_warnings({}, TimeIdLayout::kBase).empty());
}

TEST(MicroConditioning, NonSquareSizesKeepHeightFirst) {
  MicroConditioning mc;
  mc.original_size = PixelSize{64, 48};
  mc.crop_top_left = CropTopLeft{16, 8};
  mc.target_size = PixelSize{1024, 768};
  TimeIds ids = base_time_ids(mc, PixelSize{1216, 832});
  EXPECT_TRUE(Ids("positive", ids.positive, {64, 48, 16, 8, 1024, 768}));
  EXPECT_TRUE(Ids("negative = positive", ids.negative, {64, 48, 16, 8, 1024, 768}));
  TimeIds image_only = base_time_ids({}, PixelSize{832, 1216});
  EXPECT_TRUE(Ids("image size", image_only.positive, {832, 1216, 0, 0, 832, 1216}));
  TimeIds refiner = refiner_time_ids(mc, PixelSize{1216, 832});
  EXPECT_TRUE(Ids("refiner positive", refiner.positive, {64, 48, 16, 8, 6.0f}));
}

TEST(MicroConditioning, BaseNegativeNeedsBothNegativeSizes) {
  MicroConditioning mc;
  mc.crop_top_left = CropTopLeft{16, 8};
  mc.negative_original_size = PixelSize{48, 32};
  mc.negative_target_size = PixelSize{96, 64};
  TimeIds both = base_time_ids(mc, kImage);
  EXPECT_TRUE(Ids("positive", both.positive, {96, 64, 16, 8, 96, 64}));
  // Negative crop defaults to (0,0), not the positive crop.
  EXPECT_TRUE(Ids("negative", both.negative, {48, 32, 0, 0, 96, 64}));
  EXPECT_TRUE(micro_conditioning_warnings(mc, TimeIdLayout::kBase).empty());
  mc.negative_crop_top_left = CropTopLeft{4, 2};
  EXPECT_TRUE(Ids("negative with crop", base_time_ids(mc, kImage).negative, {48, 32, 4, 2, 96, 64}));

  MicroConditioning only_original;
  only_original.negative_original_size = PixelSize{48, 32};
  only_original.negative_crop_top_left = CropTopLeft{4, 2};
  TimeIds ignored = base_time_ids(only_original, kImage);
  EXPECT_TRUE(Ids("negative ignored", ignored.negative, {96, 64, 0, 0, 96, 64}));
  auto w = micro_conditioning_warnings(only_original, TimeIdLayout::kBase);
  ASSERT_EQ(w.size(), 2u);
  EXPECT_NE(w[0].find("negative_original_size"), std::string::npos) << w[0];
  EXPECT_NE(w[1].find("negative_crop_top_left"), std::string::npos) << w[1];

  MicroConditioning only_target;
  only_target.negative_target_size = PixelSize{48, 32};
  EXPECT_TRUE(Ids("negative ignored (target only)", base_time_ids(only_target, kImage).negative, {96, 64, 0, 0, 96, 64}));
  w = micro_conditioning_warnings(only_target, TimeIdLayout::kBase);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].find("negative_target_size"), std::string::npos) << w[0];
}

TEST(MicroConditioning, RefinerAestheticScoresAndNegativeDefaults) {
  TimeIds ids = refiner_time_ids({}, kImage);
  EXPECT_TRUE(Ids("positive", ids.positive, {96, 64, 0, 0, 6.0f}));
  EXPECT_TRUE(Ids("negative", ids.negative, {96, 64, 0, 0, 2.5f}));

  MicroConditioning mc;
  mc.original_size = PixelSize{512, 384};
  mc.crop_top_left = CropTopLeft{16, 8};
  mc.aesthetic_score = 7.5;
  mc.negative_aesthetic_score = 1.0;
  ids = refiner_time_ids(mc, kImage);
  EXPECT_TRUE(Ids("positive", ids.positive, {512, 384, 16, 8, 7.5f}));
  // Negative original size defaults to the positive one, negative crop to (0,0).
  EXPECT_TRUE(Ids("negative", ids.negative, {512, 384, 0, 0, 1.0f}));
  mc.negative_original_size = PixelSize{256, 192};
  mc.negative_crop_top_left = CropTopLeft{2, 4};
  EXPECT_TRUE(Ids("explicit negative", refiner_time_ids(mc, kImage).negative, {256, 192, 2, 4, 1.0f}));
  EXPECT_TRUE(micro_conditioning_warnings(mc, TimeIdLayout::kRefiner).empty());

  mc.target_size = PixelSize{96, 64};
  mc.negative_target_size = PixelSize{96, 64};
  auto w = micro_conditioning_warnings(mc, TimeIdLayout::kRefiner);
  ASSERT_EQ(w.size(), 2u);
  EXPECT_NE(w[0].find("target_size"), std::string::npos);
  // The same aesthetic settings on the base have no effect.
  MicroConditioning scores;
  scores.aesthetic_score = 7.0;
  scores.negative_aesthetic_score = 2.0;
  EXPECT_EQ(micro_conditioning_warnings(scores, TimeIdLayout::kBase).size(), 2u);
}

TEST(MicroConditioning, InvalidValuesThrowNamingTheField) {
  auto message = [](auto&& fn) -> std::string {
    try {
      fn();
    } catch (const Error& e) {
      return e.what();
    }
    return "<no sdxl::Error>";
  };
  MicroConditioning mc;
  mc.original_size = PixelSize{0, 64};
  EXPECT_NE(message([&] { base_time_ids(mc, kImage); }).find("original_size"), std::string::npos);
  mc = {};
  mc.negative_crop_top_left = CropTopLeft{-1, 0};
  EXPECT_NE(message([&] { refiner_time_ids(mc, kImage); }).find("negative_crop_top_left"), std::string::npos);
  mc = {};
  mc.aesthetic_score = std::numeric_limits<double>::infinity();
  EXPECT_NE(message([&] { refiner_time_ids(mc, kImage); }).find("aesthetic_score"), std::string::npos);
  EXPECT_NE(message([&] { base_time_ids({}, PixelSize{96, 0}); }).find("image size"), std::string::npos);
}

// Every pipeline golden with CFG records add_time_ids as [negative rows; positive rows]; rebuild them from the
// case's inputs (diffusers argument names).
using test::read_json;

MicroConditioning from_inputs(const nlohmann::json& in) {
  MicroConditioning mc;
  auto size = [&](const char* k, std::optional<PixelSize>& out) {
    if (in.contains(k) && !in[k].is_null()) out = PixelSize{in[k][0].get<int64_t>(), in[k][1].get<int64_t>()};
  };
  auto crop = [&](const char* k, std::optional<CropTopLeft>& out) {
    if (in.contains(k) && !in[k].is_null()) out = CropTopLeft{in[k][0].get<int64_t>(), in[k][1].get<int64_t>()};
  };
  size("original_size", mc.original_size);
  size("target_size", mc.target_size);
  size("negative_original_size", mc.negative_original_size);
  size("negative_target_size", mc.negative_target_size);
  crop("crops_coords_top_left", mc.crop_top_left);
  crop("negative_crops_coords_top_left", mc.negative_crop_top_left);
  if (in.contains("aesthetic_score")) mc.aesthetic_score = in["aesthetic_score"].get<double>();
  if (in.contains("negative_aesthetic_score")) mc.negative_aesthetic_score = in["negative_aesthetic_score"].get<double>();
  return mc;
}

TEST(MicroConditioning, ReproducesPipelineGoldenTimeIds) {
  struct Case {
    std::string name, key;
    TimeIdLayout layout;
  };
  const std::vector<Case> cases = {
      {"base_euler_8_cfg5", "add_time_ids", TimeIdLayout::kBase},
      {"micro_orig_small_crop", "add_time_ids", TimeIdLayout::kBase},
      {"micro_negative_sizes", "add_time_ids", TimeIdLayout::kBase},
      {"micro_negative_original_only", "add_time_ids", TimeIdLayout::kBase},
      {"refiner_sdedit_strength0.3", "add_time_ids", TimeIdLayout::kRefiner},
      {"refiner_ensemble_euler_8", "base_add_time_ids", TimeIdLayout::kBase},
      {"refiner_ensemble_euler_8", "refiner_add_time_ids", TimeIdLayout::kRefiner},
  };
  for (const auto& c : cases) {
    const auto j = read_json(test::fixture("pipeline_golden/" + c.name + ".json"));
    const auto& in = j["inputs"];
    const PixelSize image{in["height"].get<int64_t>(), in["width"].get<int64_t>()};
    const MicroConditioning mc = from_inputs(in);
    TimeIds ids = c.layout == TimeIdLayout::kBase ? base_time_ids(mc, image) : refiner_time_ids(mc, image);
    std::vector<std::vector<float>> want = j["derived"][c.key].get<std::vector<std::vector<float>>>();
    ASSERT_EQ(want.size(), 2u) << c.name;
    EXPECT_TRUE(Ids(c.name + " " + c.key + " negative", ids.negative, want[0]));
    EXPECT_TRUE(Ids(c.name + " " + c.key + " positive", ids.positive, want[1]));
  }
  // The case that passes only negative_original_size is exactly the one that must warn.
  const auto j = read_json(test::fixture("pipeline_golden/micro_negative_original_only.json"));
  EXPECT_EQ(micro_conditioning_warnings(from_inputs(j["inputs"]), TimeIdLayout::kBase).size(), 1u);
}

}  // namespace
}  // namespace sdxl
