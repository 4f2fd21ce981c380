// Outpainting (= inpainting on the prepared canvas) and the hires fix (= the two passes run by hand), plus
// the Lanczos resampler against Pillow (tests/pipeline/data/make_lanczos_golden.py).
#include <gtest/gtest.h>

#include "golden_case.h"
#include "io/lanczos.h"
#include "io/png.h"
#include "io/size_parse.h"
#include "pipeline/hires.h"
#include "pipeline/outpaint.h"
#include "pipeline/png_metadata.h"

namespace sdxl::test {
namespace {

const char* kInit = "pipeline_golden/base_euler_4_cfg5.png";  // 64x96

GenerationRequest small(int steps = 3) {
  GenerationRequest r;
  r.text.prompt = "a lighthouse at dusk";
  r.text.negative_prompt = "blurry";
  r.sampling.size = Size{96, 64};
  r.sampling.steps = steps;
  r.sampling.seed = 5;
  return r;
}

TEST(Outpaint, CanvasIsEdgeExtendedAndMaskCoversTheBorderWithARamp) {
  io::Image image = io::read_png(fixture(kInit));
  OutpaintCanvas c = prepare_outpaint(image, io::parse_edges("16,8,0,24"));
  ASSERT_EQ(c.image.width, 80);
  ASSERT_EQ(c.image.height, 128);
  auto px = [](const io::Image& i, int x, int y, int ch) {
    return i.rgb[(static_cast<size_t>(y) * i.width + x) * 3 + ch];
  };
  EXPECT_EQ(px(c.image, 0, 0, 1), px(image, 0, 0, 1));          // corner copies the nearest original pixel
  EXPECT_EQ(px(c.image, 30, 127, 2), px(image, 14, 95, 2));     // bottom border extends the last row
  EXPECT_EQ(px(c.image, 40, 50, 0), px(image, 24, 42, 0));      // inside: the original
  EXPECT_EQ(px(c.mask, 3, 60, 0), 255);                         // new left border
  EXPECT_EQ(px(c.mask, 16, 60, 0), 255);                        // first original column: start of the ramp
  EXPECT_GT(px(c.mask, 20, 60, 0), 0);
  EXPECT_LT(px(c.mask, 20, 60, 0), 255);
  EXPECT_EQ(px(c.mask, 60, 60, 0), 0);                          // right side was not extended
  EXPECT_EQ(px(c.mask, 79, 60, 0), 0);
}

TEST(Outpaint, EqualsInpaintingOnThePreparedCanvas) {
  GenerationRequest r = small();
  r.img2img.init_image = fixture(kInit);
  r.inpaint.outpaint = OutpaintEdges{16, 8, 0, 24};
  r.img2img.strength = kInpaintStrength;
  r.inpaint.keep_unmasked = true;
  GenerationResult out = tiny_pipeline().generate(r);
  EXPECT_EQ(out.request.sampling.size, (Size{128, 80}));

  OutpaintCanvas c = prepare_outpaint(io::read_png(fixture(kInit)), io::Edges{16, 8, 0, 24});
  GenerationRequest by_hand = small();
  by_hand.sampling.size = Size{128, 80};
  by_hand.img2img.init_image = temp_path("outpaint_canvas.png");
  by_hand.inpaint.mask = temp_path("outpaint_mask.png");
  io::write_png(*by_hand.img2img.init_image, c.image);
  io::write_png(*by_hand.inpaint.mask, c.mask);
  by_hand.img2img.strength = kInpaintStrength;
  by_hand.inpaint.keep_unmasked = true;
  GenerationResult want = tiny_pipeline().generate(by_hand);
  EXPECT_TRUE(at::equal(out.latents, want.latents));
  EXPECT_TRUE(at::equal(out.images, want.images));
}

TEST(Outpaint, BadEdgesAreClearErrors) {
  EXPECT_NE(error_of([] { io::parse_edges("12,0,0,0"); }).find("multiple of 8"), std::string::npos);
  EXPECT_NE(error_of([] { io::parse_edges("0,0,0,0"); }).find("extends no side"), std::string::npos);
  EXPECT_NE(error_of([] { io::parse_edges("8,8,8"); }).find("LEFT,TOP,RIGHT,BOTTOM"), std::string::npos);
  GenerationRequest r = small();
  r.inpaint.outpaint = OutpaintEdges{8, 0, 0, 4};
  EXPECT_NE(error_of([&] { validate(r); }).find("outpaint"), std::string::npos);
}

TEST(Lanczos, MatchesPillow) {
  io::Image src = io::read_png(fixture(kInit));
  for (auto [w, h] : {std::pair{96, 144}, std::pair{104, 120}, std::pair{40, 56}}) {
    const std::string name = "hires_golden/lanczos_" + std::to_string(w) + "x" + std::to_string(h) + ".png";
    io::Image want = io::read_png(fixture(name)), got = io::lanczos_resize(src, w, h);
    EXPECT_TRUE(got == want) << name;
  }
}

TEST(Hires, SizeRoundsToMultiplesOfEight) {
  EXPECT_EQ(hires_size(Size{96, 64}, 1.5), (Size{144, 96}));
  EXPECT_EQ(hires_size(Size{96, 64}, 1.3), (Size{128, 80}));  // 124.8 x 83.2
}

GenerationRequest hires_request(const char* upscaler) {
  GenerationRequest r = small();
  r.hires.scale = 1.5;
  r.hires.steps = 4;
  r.hires.strength = 0.6;
  r.hires.upscaler = parse_enum(kHiresUpscalerNames, upscaler, "hires_upscaler");
  return r;
}

TEST(Hires, LanczosEqualsTheTwoPassesRunByHand) {
  GenerationRequest r = hires_request("lanczos");
  GenerationResult hires = tiny_pipeline().generate(r);
  ASSERT_EQ(hires.images.sizes(), (std::vector<int64_t>{1, 144, 96, 3}));

  GenerationResult first = tiny_pipeline().generate(small());
  io::Image big = io::lanczos_resize(io::from_tensor(first.images[0]), 96, 144);
  GenerationRequest second = small(4);
  second.sampling.size = Size{144, 96};
  second.img2img.init_image = temp_path("hires_upscaled.png");
  io::write_png(*second.img2img.init_image, big);
  second.img2img.strength = 0.6;
  GenerationResult want = tiny_pipeline().generate(second);
  EXPECT_TRUE(at::equal(hires.latents, want.latents));
  EXPECT_TRUE(at::equal(hires.images, want.images));
}

TEST(Hires, LatentUpscalersRunAtTheScaledSizeAndWarnWhenRounding) {
  for (HiresUpscaler up : {HiresUpscaler::Latent, HiresUpscaler::LatentNearestExact, HiresUpscaler::LatentBicubic}) {
    GenerationRequest r = small(2);
    r.hires.scale = 1.3;
    r.hires.upscaler = up;
    GenerationResult out = tiny_pipeline().generate(r);
    EXPECT_EQ(out.images.sizes(), (std::vector<int64_t>{1, 128, 80, 3})) << to_string(up);
    EXPECT_TRUE(out.latents.isfinite().all().item<bool>()) << to_string(up);
    ASSERT_FALSE(out.warnings.empty()) << to_string(up);
    EXPECT_NE(out.warnings.back().find("80x128"), std::string::npos) << out.warnings.back();
  }
  at::Tensor x = at::arange(2 * 3 * 4, at::kFloat).reshape({1, 2, 3, 4});
  EXPECT_TRUE(at::equal(upscale_latents(x, Size{48, 64}, HiresUpscaler::LatentNearestExact),
                        x.repeat_interleave(2, 2).repeat_interleave(2, 3)));
}

TEST(Hires, MetadataCarriesTheWebUiFieldsAndReproduces) {
  GenerationRequest r = hires_request("latent-bicubic");
  const std::string text = a1111_parameters(r, 5, "tiny");
  EXPECT_NE(text.find("Denoising strength: 0.6, Hires upscale: 1.5, Hires steps: 4, Hires upscaler: Latent (bicubic)"),
            std::string::npos)
      << text;
  GenerationRequest back = parse_a1111_parameters(text, GenerationRequest{});
  EXPECT_EQ(back.hires.scale, r.hires.scale);
  EXPECT_EQ(back.hires.steps, r.hires.steps);
  EXPECT_EQ(back.hires.strength, 0.6);
  EXPECT_EQ(back.hires.upscaler, HiresUpscaler::LatentBicubic);
  GenerationRequest from_json = request_from_png_chunks(png_text_chunks(r, 5, "tiny"), "x.png");
  EXPECT_EQ(to_json(from_json), to_json([&] {
              GenerationRequest s = r;
              s.sampling.seed = 5;
              return s;
            }()));
}

}  // namespace
}  // namespace sdxl::test
