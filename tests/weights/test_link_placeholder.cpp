// Git link placeholders (symlinks checked out as text files) are followed; anything else is left alone.
#include "io/link_placeholder.h"
#include "test_util.h"

#include <filesystem>
#include <fstream>

namespace sdxl {
namespace {

TEST(LinkPlaceholder, FollowsFixturePlaceholders) {
  namespace fs = std::filesystem;
  const std::string te2 = io::resolve_link_placeholder(test::fixture("tiny-sdxl-refiner/text_encoder_2/model.safetensors"));
  EXPECT_TRUE(fs::equivalent(te2, test::fixture("tiny-sdxl/text_encoder_2/model.safetensors"))) << te2;
  const std::string vocab = io::resolve_link_placeholder(test::fixture("tiny-sdxl-refiner/tokenizer_2/vocab.json"));
  EXPECT_TRUE(fs::equivalent(vocab, test::fixture("tokenizer/vocab.json"))) << vocab;
}

TEST(LinkPlaceholder, LeavesOtherFilesAlone) {
  const std::string real = test::fixture("tiny-sdxl/text_encoder/config.json");
  EXPECT_EQ(io::resolve_link_placeholder(real), real);  // small text file, but not one line naming a path
  const std::string dangling = ::testing::TempDir() + "/dangling_link.txt";
  std::ofstream(dangling) << "../no/such/target.safetensors\n";
  EXPECT_EQ(io::resolve_link_placeholder(dangling), dangling);
  EXPECT_EQ(io::resolve_link_placeholder("/no/such/file"), "/no/such/file");
}

}  // namespace
}  // namespace sdxl
