// safetensors reader: the fixtures parse, round trips are exact, hostile headers are clean errors.
#include "common/error.h"
#include "io/safetensors.h"
#include "test_util.h"

#include <unistd.h>

#include <fstream>

namespace sdxl {
namespace {

using test::temp_path;

void write_raw(const std::string& path, const std::string& header, const std::string& data) {
  std::ofstream out(path, std::ios::binary);
  uint64_t len = header.size();
  for (int i = 0; i < 8; ++i) out.put(static_cast<char>(len >> (8 * i)));
  out << header << data;
}

std::string open_error(const std::string& header, const std::string& data) {
  const std::string path = temp_path("bad.safetensors");
  write_raw(path, header, data);
  try {
    io::SafetensorsFile::open(path);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Safetensors, ReadsFixtureHeaderAndData) {
  auto f = io::SafetensorsFile::open(test::fixture("tiny-sdxl/vae/diffusion_pytorch_model.safetensors"));
  EXPECT_EQ(f->tensors().size(), 244u);
  const auto* info = f->find("decoder.conv_in.weight");
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(info->dtype, "F16");
  at::Tensor t = f->tensor("decoder.conv_in.weight");
  EXPECT_EQ(t.scalar_type(), at::kHalf);
  EXPECT_EQ(t.sizes().vec(), info->shape);
  EXPECT_TRUE(t.isfinite().all().item<bool>());
}

TEST(Safetensors, RoundTripIsBitExact) {
  std::map<std::string, at::Tensor> in = {{"a", at::randn({3, 5})},
                                          {"b", at::randn({7}).to(at::kHalf)},
                                          {"c", at::arange(10, at::kLong)},
                                          {"d", at::randn({2, 2}).to(at::kBFloat16)}};
  const std::string path = temp_path("roundtrip.safetensors");
  io::save_safetensors(path, in, {{"format", "pt"}});
  auto f = io::SafetensorsFile::open(path);
  EXPECT_EQ(f->metadata().at("format"), "pt");
  for (const auto& [name, t] : in) EXPECT_TRUE(at::equal(f->tensor(name), t)) << name;
}

TEST(Safetensors, RejectsHostileHeaders) {
  const std::string ok_entry = R"("w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]})";
  EXPECT_EQ(open_error("{" + ok_entry + "}", std::string(8, '\0')), "");
  EXPECT_NE(open_error("{" + ok_entry, std::string(8, '\0')).find("not valid JSON"), std::string::npos);
  EXPECT_NE(open_error("[]", "").find("not a JSON object"), std::string::npos);
  EXPECT_NE(open_error(R"({"w":{"dtype":"Q4","shape":[2],"data_offsets":[0,8]}})", std::string(8, '\0')).find("'w'"),
            std::string::npos);
  EXPECT_NE(open_error(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", std::string(8, '\0'))
                .find("span"),
            std::string::npos);
  EXPECT_NE(open_error(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,16]}})", std::string(8, '\0'))
                .find("past the data section"),
            std::string::npos);
  EXPECT_NE(open_error(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                       R"("v":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                       std::string(12, '\0'))
                .find("overlaps"),
            std::string::npos);
  EXPECT_NE(open_error(R"({"w":{"dtype":"F32","shape":[9223372036854775807,4],"data_offsets":[0,8]}})",
                       std::string(8, '\0'))
                .find("'w'"),
            std::string::npos);
  EXPECT_NE(open_error(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}})", std::string(8, '\0'))
                .find("non-negative"),
            std::string::npos);
}

TEST(Safetensors, RejectsHeaderLengthPastEnd) {
  const std::string path = temp_path("long.safetensors");
  {
    std::ofstream out(path, std::ios::binary);
    uint64_t len = 10ull << 30;  // claims a 10 GiB header
    for (int i = 0; i < 8; ++i) out.put(static_cast<char>(len >> (8 * i)));
    out << "{}";
  }
  try {
    io::SafetensorsFile::open(path);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("past the end"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace sdxl

namespace sdxl {
namespace {

// A header longer than 100 MiB is refused before it is read (the file itself may be that long).
TEST(Safetensors, RejectsHeaderOverTheCap) {
  const std::string path = ::testing::TempDir() + "/huge_header.safetensors";
  {
    std::ofstream out(path, std::ios::binary);
    const uint64_t len = 150ull << 20;
    for (int i = 0; i < 8; ++i) out.put(static_cast<char>(len >> (8 * i)));
  }
  ASSERT_EQ(truncate(path.c_str(), (150ll << 20) + 8), 0);  // sparse: no disk space used
  try {
    io::SafetensorsFile::open(path);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("exceeds 100 MiB"), std::string::npos) << e.what();
  }
  unlink(path.c_str());
}

}  // namespace
}  // namespace sdxl
