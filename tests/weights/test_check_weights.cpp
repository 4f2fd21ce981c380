// check_weights: passes on every tiny layout with the right parameter counts, and fails with a message
// naming the tensor/problem on hostile files built by rewriting the tiny single file's header. The data
// sections are sparse zeros (check_weights reads headers only), so the files cost no disk or time.
#include "common/error.h"
#include "test_util.h"
#include "weights/check_weights.h"

#include <filesystem>
#include <fstream>

namespace sdxl {
namespace {

struct Header {
  nlohmann::json json;
  uint64_t data_size = 0;
};

Header read_header(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  unsigned char len_bytes[8];
  in.read(reinterpret_cast<char*>(len_bytes), 8);
  uint64_t len = 0;
  for (int i = 7; i >= 0; --i) len = (len << 8) | len_bytes[i];
  std::string text(len, '\0');
  in.read(text.data(), static_cast<std::streamsize>(len));
  return {nlohmann::json::parse(text), std::filesystem::file_size(path) - 8 - len};
}

// Header bytes as given (length field = `claimed_len`, default the real one) + `data_size` zero bytes.
std::string write_file(const std::string& name, const std::string& header, uint64_t data_size,
                       uint64_t claimed_len = UINT64_MAX) {
  const std::string path = ::testing::TempDir() + "/" + name;
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    const uint64_t len = claimed_len == UINT64_MAX ? header.size() : claimed_len;
    for (int i = 0; i < 8; ++i) out.put(static_cast<char>(len >> (8 * i)));
    out << header;
  }
  std::filesystem::resize_file(path, 8 + header.size() + data_size);  // sparse zeros
  return path;
}

const std::string kConv = "model.diffusion_model.input_blocks.1.0.in_layers.2.weight";  // down_blocks.0.resnets.0.conv1

class HostileFile : public ::testing::Test {
 protected:
  void SetUp() override { header_ = read_header(test::fixture("tiny_sdxl_base.safetensors")); }
  CheckReport check(const std::string& name) {
    return check_weights(write_file(name, header_.json.dump(), header_.data_size), test::fixture("tiny-sdxl"));
  }
  Header header_;
};

// The report fails and some problem line contains every one of `words`.
::testing::AssertionResult FailsWith(const CheckReport& r, const std::vector<std::string>& words) {
  if (r.ok) return ::testing::AssertionFailure() << "check passed: " << format_check_report(r);
  for (const auto& p : r.problems) {
    bool all = true;
    for (const auto& w : words) all = all && p.find(w) != std::string::npos;
    if (all) return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "no problem mentions all of the words; report:\n" << format_check_report(r);
}

TEST(CheckWeights, PassesOnTinyCheckpoints) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"tiny_sdxl_base.safetensors", "tiny-sdxl"}, {"tiny-sdxl", ""},
      {"tiny_sdxl_refiner.safetensors", "tiny-sdxl-refiner"}, {"tiny-sdxl-refiner", ""},
      {"tiny-sdxl/vae", ""}, {"tiny-sdxl/text_encoder/model.safetensors", ""}};
  for (const auto& [path, config] : cases) {
    const CheckReport r = check_weights(test::fixture(path), config.empty() ? "" : test::fixture(config));
    EXPECT_TRUE(r.ok) << format_check_report(r);
    EXPECT_FALSE(r.components.empty()) << path;
    for (const auto& c : r.components) {
      EXPECT_GT(c.parameters, 0) << path << " " << c.component;
      EXPECT_EQ(c.parameters, c.expected_parameters) << path << " " << c.component;
      EXPECT_EQ(c.dtypes, std::vector<std::string>{"F16"}) << path << " " << c.component;
    }
    EXPECT_NE(format_check_report(r).find("\nOK\n"), std::string::npos) << path;
  }
  const CheckReport single = check_weights(test::fixture("tiny_sdxl_base.safetensors"), test::fixture("tiny-sdxl"));
  EXPECT_EQ(single.layout, "single-file");
  ASSERT_EQ(single.components.size(), 4u);
  EXPECT_EQ(single.ignored, (std::vector<std::string>{"conditioner.embedders.0.transformer.text_model.embeddings.position_ids",
                                                      "conditioner.embedders.1.model.logit_scale"}));
  const CheckReport refiner = check_weights(test::fixture("tiny-sdxl-refiner"));
  EXPECT_EQ(refiner.kind, ModelKind::Refiner);
  EXPECT_EQ(refiner.components.size(), 3u);
}

TEST_F(HostileFile, TruncatedFile) {
  const std::string path = write_file("truncated.safetensors", header_.json.dump(), header_.data_size - 1000);
  EXPECT_TRUE(FailsWith(check_weights(path, test::fixture("tiny-sdxl")), {path, "past the data section", "tensor '"}));
}

TEST_F(HostileFile, HeaderLengthPastTheEnd) {
  const std::string header = header_.json.dump();
  const std::string path = write_file("header_len.safetensors", header, 16, header.size() + 1000);
  EXPECT_TRUE(FailsWith(check_weights(path), {path, "header length", "runs past the end"}));
}

TEST_F(HostileFile, OverlappingSpans) {
  const std::string other = "model.diffusion_model.input_blocks.1.0.in_layers.0.weight";
  const auto begin = header_.json[kConv]["data_offsets"][0].get<uint64_t>();
  const auto size = header_.json[other]["data_offsets"][1].get<uint64_t>() - header_.json[other]["data_offsets"][0].get<uint64_t>();
  header_.json[other]["data_offsets"] = {begin, begin + size};
  EXPECT_TRUE(FailsWith(check("overlap.safetensors"), {"overlaps", "in_layers"}));
}

TEST_F(HostileFile, BadDtypeString) {
  header_.json[kConv]["dtype"] = "F17";
  EXPECT_TRUE(FailsWith(check("dtype.safetensors"), {kConv, "unsupported dtype 'F17'"}));
}

TEST_F(HostileFile, ShapeDoesNotMatchSpan) {
  header_.json[kConv]["shape"] = {33, 32, 3, 3};
  EXPECT_TRUE(FailsWith(check("span.safetensors"), {kConv, "data_offsets span"}));
}

TEST_F(HostileFile, InvalidJson) {
  std::string header = header_.json.dump();
  header.pop_back();
  const std::string path = write_file("json.safetensors", header, header_.data_size);
  EXPECT_TRUE(FailsWith(check_weights(path), {path, "not valid JSON"}));
}

TEST_F(HostileFile, MissingUnetTensor) {
  header_.json.erase(kConv);
  const CheckReport r = check("missing.safetensors");
  EXPECT_TRUE(FailsWith(r, {"unet: missing tensor down_blocks.0.resnets.0.conv1.weight", kConv}));
  EXPECT_EQ(r.problems.size(), 1u) << format_check_report(r);
  EXPECT_NE(format_check_report(r).find("FAILED: 1 problem"), std::string::npos);
}

TEST_F(HostileFile, ExtraUnknownTensors) {
  const uint64_t end = header_.data_size;
  header_.json["model.diffusion_model.extra_block.weight"] = {{"dtype", "F16"}, {"shape", {2}}, {"data_offsets", {end, end + 4}}};
  header_.json["mystery.weight"] = {{"dtype", "F32"}, {"shape", {1}}, {"data_offsets", {end + 4, end + 8}}};
  header_.data_size += 8;
  const CheckReport r = check("extra.safetensors");
  EXPECT_TRUE(FailsWith(r, {"unet: unexpected tensor model.diffusion_model.extra_block.weight"}));
  EXPECT_TRUE(FailsWith(r, {"mystery.weight", "belongs to no SDXL component"}));
  EXPECT_EQ(r.problems.size(), 2u) << format_check_report(r);
}

TEST_F(HostileFile, MisShapedTensors) {
  header_.json[kConv]["shape"] = {32, 32, 9, 1};  // same span, wrong shape
  const std::string in_proj = "conditioner.embedders.1.model.transformer.resblocks.0.attn.in_proj_weight";
  header_.json[in_proj]["shape"] = {48, 144};
  const CheckReport r = check("misshaped.safetensors");
  EXPECT_TRUE(FailsWith(r, {"unet: mis-shaped tensor down_blocks.0.resnets.0.conv1.weight", kConv, "[32,32,9,1]",
                            "[32,32,3,3]"}));
  EXPECT_TRUE(FailsWith(r, {"text_encoder_2: mis-shaped tensor text_model.encoder.layers.0.self_attn.k_proj.weight",
                            in_proj}));
}

TEST_F(HostileFile, NonFloatWeight) {
  header_.json[kConv]["dtype"] = "I16";  // same element size, so the span still fits
  EXPECT_TRUE(FailsWith(check("int.safetensors"), {kConv, "I16", "not a float"}));
}

TEST_F(HostileFile, KnownUnusedTensorsAreIgnored) {
  const uint64_t end = header_.data_size;
  header_.json["denoiser.sigmas"] = {{"dtype", "F32"}, {"shape", {1000}}, {"data_offsets", {end, end + 4000}}};
  header_.json["model_ema.decay"] = {{"dtype", "F32"}, {"shape", nlohmann::json::array()}, {"data_offsets", {end + 4000, end + 4004}}};
  header_.json["__metadata__"] = {{"modelspec.title", "tiny"}};
  header_.data_size += 4004;
  const CheckReport r = check("unused.safetensors");
  EXPECT_TRUE(r.ok) << format_check_report(r);
  EXPECT_EQ(r.ignored.size(), 4u) << format_check_report(r);  // + position_ids, logit_scale
}

// A file shaped like the published sd_xl_base_1.0.safetensors (header from sdxl_keys, sparse data): no
// config folder needed, every component inferred, counts as published.
TEST(CheckWeights, FullSizeBaseHeaderWithoutConfig) {
  std::ifstream in(test::fixture("sdxl_keys/sd_xl_base_1.0.json"));
  const nlohmann::json keys = nlohmann::json::parse(in);
  nlohmann::json header = nlohmann::json::object();
  uint64_t offset = 0;
  for (auto it = keys["tensors"].begin(); it != keys["tensors"].end(); ++it) {
    uint64_t bytes = it.value()["dtype"] == "I64" ? 8 : 2;
    for (auto d : it.value()["shape"]) bytes *= d.get<uint64_t>();
    header[it.key()] = {{"dtype", it.value()["dtype"]}, {"shape", it.value()["shape"]}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  const std::string path = write_file("sd_xl_base_1.0.safetensors", header.dump(), offset);
  const CheckReport r = check_weights(path);
  std::filesystem::remove(path);
  ASSERT_TRUE(r.ok) << format_check_report(r);
  EXPECT_EQ(r.kind, ModelKind::Base);
  const std::map<std::string, int64_t> want = {
      {"unet", 2567463684}, {"vae", 83653863}, {"text_encoder", 123060480}, {"text_encoder_2", 694659840}};
  ASSERT_EQ(r.components.size(), 4u);
  for (const auto& c : r.components) {
    EXPECT_EQ(c.parameters, want.at(c.component)) << c.component;
    EXPECT_EQ(c.config_source, "inferred from tensor shapes") << c.component;
  }
}

TEST(CheckWeights, ConfigOfAnotherModelIsNamed) {
  // The refiner file checked against the base's configs: the first problem points at the config.
  const CheckReport r = check_weights(test::fixture("tiny_sdxl_refiner.safetensors"), test::fixture("tiny-sdxl"));
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.problems.at(0).find("unet: "), std::string::npos) << r.problems.at(0);
  EXPECT_NE(r.problems.at(0).find("does the config (" + test::fixture("tiny-sdxl") + "/unet/config.json)"),
            std::string::npos)
      << r.problems.at(0);
}

TEST(CheckWeights, UnreadablePathsAreProblemsNotExceptions) {
  const CheckReport r = check_weights(::testing::TempDir() + "/does_not_exist.safetensors");
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(FailsWith(r, {"does_not_exist.safetensors", "no such file"}));
  EXPECT_NE(format_check_report(r).find("cannot be checked"), std::string::npos);
}

}  // namespace
}  // namespace sdxl
