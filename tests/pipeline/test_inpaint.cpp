// Inpainting against the reference (tests/pipeline/data/make_inpaint_goldens.py: diffusers 0.27.2
// StableDiffusionXLInpaintPipeline, OpenCV for the web UIs' mask blur) and its invariants.
#include <gtest/gtest.h>

#include "golden_case.h"
#include "io/png.h"
#include "io/lanczos.h"
#include "pipeline/inpaint_full_res.h"
#include "pipeline/inpaint_mask.h"

namespace sdxl::test {
namespace {

GoldenCase load_inpaint_case(const std::string& name) {
  GoldenCase c = read_golden_case("inpaint_golden", name);
  const nlohmann::json& in = c.spec["inputs"];
  if (in["unet_in_channels"] == 9) c.options.model = fixture("tiny-sdxl-inpaint");
  GenerationRequest& r = c.request;
  r.img2img.strength = in["strength"];
  r.img2img.init_image = fixture(in["init_image"]);
  r.inpaint.mask = fixture(in["mask"]);
  r.inpaint.mask_blur = in["mask_blur"];
  return c;
}

class InpaintGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(InpaintGolden, MatchesReference) {
  GoldenCase c = load_inpaint_case(GetParam());
  auto golden = load_golden("inpaint_golden/" + GetParam() + ".safetensors");
  c.request.output.save_trajectory = true;
  GenerationResult result = Pipeline(c.options).generate(c.request);
  expect_latents_match(result, golden);
  EXPECT_TRUE(AllClose("decoded image", result.decoded, golden.at("image"), kDecodedImageAtol));
  expect_png_close("inpaint_golden/" + GetParam() + ".png", result.images[0]);
}

INSTANTIATE_TEST_SUITE_P(Cases, InpaintGolden,
                         ::testing::Values("inpaint_euler_5_s0.9999", "inpaint_euler_5_s0.6",
                                           "inpaint_ddim_5_s0.9999", "inpaint_ddim_5_s0.6",
                                           "inpaint_euler_5_s0.9999_blur4", "inpaint_ddim_5_s0.9999_blur4",
                                           "inpaint_euler_a_5_s0.6", "inpaint9_euler_5_s0.9999",
                                           "inpaint9_ddim_5_s1.0", "inpaint9_euler_a_5_s0.6_blur2"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (auto& ch : n)
                             if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return n;
                         });

at::Tensor golden_mask_plane(const std::string& png) {
  return io::to_tensor(io::read_png(fixture("inpaint_golden/" + png))).select(2, 0).contiguous();
}

TEST(InpaintMask, BlurIsOpenCVsBitExactGaussian) {
  const at::Tensor l = mask_luminance(io::read_png(fixture("inpaint_golden/mask.png")));
  for (int n : {2, 4}) {
    at::Tensor got = blur_mask(l, n), want = golden_mask_plane("mask_blur" + std::to_string(n) + ".png");
    EXPECT_TRUE(at::equal(got, want)) << "blur " << n << ": "
                                      << (got.to(at::kInt) - want.to(at::kInt)).abs().max().item<int>()
                                      << " levels off at worst";
  }
}

TEST(InpaintMask, LuminanceAndBinarisationFollowPillowAndDiffusers) {
  // Pillow's convert("L") of green, red, grey 128, grey 127 (tests/cited/make_cited_values.py).
  const nlohmann::json cases = read_json(std::string(SDXL_SOURCE_DIR) + "/tests/cited/cited_values.json")["pillow_luminance"];
  ASSERT_EQ(cases.size(), 4u);
  io::Image px{4, 1, {}};
  for (const auto& c : cases)
    for (int ch = 0; ch < 3; ++ch) px.rgb.push_back(static_cast<uint8_t>(c[0][ch].get<int>()));
  at::Tensor l = mask_luminance(px);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(l[0][i].item<int>(), cases[i][1].get<int>()) << cases[i][0];
  at::Tensor b = binarize_mask(l).flatten();
  EXPECT_TRUE(at::equal(b, at::tensor({1.f, 0.f, 1.f, 0.f})));  // value >= 128 repaints: green, grey 128
}

GenerationRequest small_inpaint() {
  GoldenCase c = load_inpaint_case("inpaint_euler_5_s0.6");
  c.request.sampling.steps = 3;
  return c.request;
}

std::string write_mask(const std::string& name, uint8_t value, int width = 64) {
  io::Image m{width, 96, std::vector<uint8_t>(width * 96 * 3, value)};
  const std::string path = temp_path(name);
  io::write_png(path, m);
  return path;
}

TEST(InpaintBehaviour, KeepUnmaskedLeavesPixelsOutsideTheMaskBitIdentical) {
  for (int blur : {0, 4}) {
    GenerationRequest r = small_inpaint();
    r.inpaint.keep_unmasked = true;
    r.inpaint.mask_blur = blur;
    GenerationResult out = tiny_pipeline().generate(r);
    at::Tensor original = io::to_tensor(io::read_png(*r.img2img.init_image));
    at::Tensor l = blur_mask(mask_luminance(io::read_png(*r.inpaint.mask)), blur);
    at::Tensor outside = (l == 0).unsqueeze(-1).expand({96, 64, 3});
    at::Tensor got = out.images[0];
    EXPECT_TRUE(at::equal(got.masked_select(outside), original.masked_select(outside))) << "blur " << blur;
    at::Tensor inside = (l >= 128).unsqueeze(-1).expand({96, 64, 3});
    EXPECT_FALSE(at::equal(got.masked_select(inside), original.masked_select(inside))) << "blur " << blur;
  }
}

TEST(InpaintBehaviour, AllWhiteMaskIsPlainImg2Img) {
  GenerationRequest r = small_inpaint();
  r.inpaint.mask = write_mask("white_mask.png", 255);
  GenerationResult inpainted = tiny_pipeline().generate(r);
  GenerationRequest plain = r;
  plain.inpaint.mask.reset();
  GenerationResult img2img = tiny_pipeline().generate(plain);
  EXPECT_TRUE(at::equal(inpainted.latents, img2img.latents));
  ASSERT_FALSE(inpainted.warnings.empty());
  EXPECT_NE(inpainted.warnings.back().find("all white"), std::string::npos);
}

TEST(InpaintBehaviour, BadMasksAreClearErrors) {
  GenerationRequest r = small_inpaint();
  r.inpaint.mask = write_mask("black_mask.png", 0);
  EXPECT_NE(error_of([&] { tiny_pipeline().generate(r); }).find("nothing to do"), std::string::npos);
  r.inpaint.mask = write_mask("narrow_mask.png", 255, 48);
  const std::string mismatch = error_of([&] { tiny_pipeline().generate(r); });
  EXPECT_NE(mismatch.find("same size"), std::string::npos) << mismatch;
  GenerationRequest no_image = small_inpaint();
  no_image.img2img.init_image.reset();
  EXPECT_NE(error_of([&] { tiny_pipeline().generate(no_image); }).find("init_image"), std::string::npos);
}

TEST(InpaintBehaviour, NineChannelUnetNeedsAMask) {
  GoldenCase c = load_inpaint_case("inpaint9_euler_5_s0.9999");
  GenerationRequest r = c.request;
  r.inpaint.mask.reset();
  const std::string message = error_of([&] { Pipeline(c.options).generate(r); });
  EXPECT_NE(message.find("inpainting UNet (9 input channels)"), std::string::npos) << message;
}

TEST(InpaintBehaviour, MaskWithoutStrengthGetsTheReferenceDefault) {
  GenerationRequest base;
  EXPECT_EQ(request_from_json({{"mask", "m.png"}}, base).img2img.strength, kInpaintStrength);
  EXPECT_EQ(request_from_json({{"mask", "m.png"}, {"strength", 0.5}}, base).img2img.strength, 0.5);
  EXPECT_EQ(request_from_json(nlohmann::json::object(), base).img2img.strength, 0.3);
  GenerationRequest r = request_from_json({{"mask", "m.png"}, {"mask_blur", 4}, {"keep_unmasked", true}}, base);
  GenerationRequest back = request_from_json(to_json(r), GenerationRequest{});
  EXPECT_EQ(back.inpaint.mask, r.inpaint.mask);
  EXPECT_EQ(back.inpaint.mask_blur, 4);
  EXPECT_TRUE(back.inpaint.keep_unmasked);
  EXPECT_EQ(back.img2img.strength, kInpaintStrength);
}

TEST(InpaintBehaviour, RefinerRefinesTheWholeImageThenKeepUnmaskedRestoresTheOriginal) {
  PipelineOptions o;
  o.model = fixture("tiny-sdxl");
  o.refiner = fixture("tiny-sdxl-refiner");
  o.device = DeviceChoice{DeviceKind::Cpu};
  o.dtype = o.vae_dtype = DType::Fp32;
  Pipeline with_refiner(o);
  GenerationRequest r = small_inpaint();
  r.inpaint.keep_unmasked = true;
  r.refiner.strength = 0.7;  // 2 of the 3 steps
  GenerationResult out = with_refiner.generate(r);
  ASSERT_TRUE(out.base_latents.defined());
  EXPECT_FALSE(at::equal(out.base_latents, out.latents));  // the refiner changed the whole latent image
  at::Tensor original = io::to_tensor(io::read_png(*r.img2img.init_image));
  at::Tensor outside = (mask_luminance(io::read_png(*r.inpaint.mask)) == 0).unsqueeze(-1).expand({96, 64, 3});
  EXPECT_TRUE(at::equal(out.images[0].masked_select(outside), original.masked_select(outside)));
}

TEST(InpaintFullRes, CropRegionIsThePaddedBoxWidenedToTheAspect) {
  at::Tensor l = at::zeros({96, 64}, at::kByte);
  l.slice(0, 20, 24).slice(1, 10, 14).fill_(200);
  const CropBox box = mask_crop_region(l, 2);
  EXPECT_EQ(box, (CropBox{8, 18, 16, 26}));
  EXPECT_EQ(expand_to_aspect(box, 64, 64, 64, 96), box);
  EXPECT_EQ(expand_to_aspect(box, 64, 32, 64, 96), (CropBox{4, 18, 20, 26}));
  EXPECT_EQ(expand_to_aspect(CropBox{0, 18, 8, 26}, 64, 32, 64, 96), (CropBox{0, 18, 16, 26}));  // shifted inside
  EXPECT_EQ(expand_to_aspect(box, 32, 64, 64, 96), (CropBox{8, 14, 16, 30}));
}

TEST(InpaintFullRes, EqualsInpaintingTheBoxByHandAndPastingItBack) {
  // A small square to repaint in the 64x96 image, processed at 64x64.
  io::Image mask{64, 96, std::vector<uint8_t>(64 * 96 * 3, 0)};
  for (int y = 40; y < 52; ++y)
    for (int x = 20; x < 30; ++x) std::fill_n(&mask.rgb[(y * 64 + x) * 3], 3, 255);
  GenerationRequest r = small_inpaint();
  r.inpaint.mask = temp_path("full_res_mask.png");
  io::write_png(*r.inpaint.mask, mask);
  r.sampling.size = Size{64, 64};
  r.inpaint.full_res = true;
  r.inpaint.padding = 8;
  r.inpaint.keep_unmasked = true;
  GenerationResult out = tiny_pipeline().generate(r);
  ASSERT_EQ(out.images.sizes(), (std::vector<int64_t>{1, 96, 64, 3}));

  const io::Image image = io::read_png(*r.img2img.init_image);
  const CropBox box = expand_to_aspect(mask_crop_region(mask_luminance(mask), 8), 64, 64, 64, 96);
  EXPECT_EQ(box, (CropBox{11, 32, 39, 60}));  // the 10x12 square plus 8 on each side (26x28), widened to 28x28
  GenerationRequest by_hand = small_inpaint();
  by_hand.sampling.size = Size{64, 64};
  by_hand.img2img.init_image = temp_path("full_res_box.png");
  by_hand.inpaint.mask = temp_path("full_res_box_mask.png");
  io::write_png(*by_hand.img2img.init_image, io::lanczos_resize(crop(image, box), 64, 64));
  io::write_png(*by_hand.inpaint.mask, io::lanczos_resize(crop(mask, box), 64, 64));
  GenerationResult inner = tiny_pipeline().generate(by_hand);
  io::Image back = io::lanczos_resize(io::from_tensor(inner.images[0]), box.width(), box.height());
  at::Tensor pasted = io::to_tensor(paste(image, back, box));
  at::Tensor want = paste_unmasked(pasted.unsqueeze(0), io::to_tensor(image), mask_luminance(mask).to(at::kInt));
  EXPECT_TRUE(at::equal(out.latents, inner.latents));
  EXPECT_TRUE(at::equal(out.images, want));
  // Outside the mask: the original, bit for bit.
  at::Tensor outside = (mask_luminance(mask) == 0).unsqueeze(-1).expand({96, 64, 3});
  EXPECT_TRUE(at::equal(out.images[0].masked_select(outside), io::to_tensor(image).masked_select(outside)));
}

}  // namespace
}  // namespace sdxl::test
