// The committed fixtures hold git symlinks as small text files naming their target (what git checks
// out when symlinks are off). The engine does not follow them: such a file is just a bad input, and
// the error names it on one line. (The build resolves them into its own copy for the other tests.)
#include <gtest/gtest.h>

#include "common/error.h"
#include "test_util.h"
#include "weights/checkpoint.h"

namespace sdxl {
namespace {

const std::string kSourceFixtures = std::string(SDXL_SOURCE_DIR) + "/tests/fixtures/";

TEST(PlaceholderFiles, WeightsPlaceholderIsNotSafetensors) {
  // tiny-sdxl-refiner/text_encoder_2/model.safetensors holds "../../tiny-sdxl/text_encoder_2/model.safetensors".
  const std::string folder = kSourceFixtures + "tiny-sdxl-refiner";
  const auto e = test::error_thrown([&] { open_checkpoint(folder); });
  ASSERT_TRUE(e) << "a placeholder weights file was loaded";
  const std::string msg = e->what();
  EXPECT_EQ(e->category(), ErrorCategory::Input);
  EXPECT_NE(msg.find(folder + "/"), std::string::npos) << msg;
  EXPECT_NE(msg.find(".safetensors: invalid safetensors file"), std::string::npos) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
}

}  // namespace
}  // namespace sdxl
