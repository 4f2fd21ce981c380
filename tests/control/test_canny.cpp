// The Canny preprocessor against cv2.Canny (tests/control/make_control_goldens.py: OpenCV's Python build on
// generated gradients, text, noise and soft edges, three threshold pairs), bit for bit.
#include <gtest/gtest.h>

#include "control/canny.h"
#include "io/png.h"
#include "test_util.h"

namespace sdxl::test {
namespace {

TEST(Canny, EqualsOpenCVsPython) {
  const nlohmann::json spec = read_json(fixture("control_golden/canny.json"));
  ASSERT_GE(spec["cases"].size(), 12u);
  for (const auto& c : spec["cases"]) {
    const io::Image in = io::read_png(fixture("control_golden/" + c["input"].get<std::string>()));
    const io::Image want = io::read_png(fixture("control_golden/" + c["edges"].get<std::string>()));
    const io::Image got = canny(in, {c["low"].get<int>(), c["high"].get<int>()});
    ASSERT_EQ(got.width, want.width);
    ASSERT_EQ(got.height, want.height);
    size_t differ = 0;
    for (size_t i = 0; i < got.rgb.size(); ++i) differ += got.rgb[i] != want.rgb[i];
    EXPECT_EQ(differ, 0u) << c["edges"].get<std::string>();
  }
}

TEST(Canny, PreprocessSyntax) {
  EXPECT_FALSE(parse_control_preprocess("none").canny);
  const ControlPreprocess d = parse_control_preprocess("canny");
  EXPECT_TRUE(d.canny);
  EXPECT_EQ(d.thresholds.low, 100);  // the web UI's ControlNet extension's defaults
  EXPECT_EQ(d.thresholds.high, 200);
  const ControlPreprocess t = parse_control_preprocess("canny:50,120");
  EXPECT_EQ(t.thresholds.low, 50);
  EXPECT_EQ(t.thresholds.high, 120);
  for (const char* bad : {"depth", "canny:", "canny:200,100", "canny:1,300", "canny:a,b", "canny:100"})
    EXPECT_NE(error_of([&] { parse_control_preprocess(bad, "control_preprocess"); }).find("control_preprocess"),
              std::string::npos)
        << bad;
}

}  // namespace
}  // namespace sdxl::test
