// The one config.json reader (src/common/config_reader.h): the integer rule (2.0 accepted, 2.5 refused
// naming the key), required vs defaulted keys, null = not given, and errors naming the source and key
// with the input category; and a model config reader built on it reading `2.0` like `2`.
#include "common/config_reader.h"
#include "common/error.h"
#include "test_util.h"
#include "weights/architecture.h"
#include "weights/presets.h"

#include <gtest/gtest.h>

namespace sdxl {
namespace {

using nlohmann::json;

// The message of the sdxl::Error `f` throws ("" if none); also checks the category is Input.
template <typename F>
std::string input_error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::Input) << e.what();
    return e.what();
  }
  return "";
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(ConfigReader, IntegersWrittenAsIntegralFloatsAreAccepted) {
  const json j = json::parse(R"({"a": 2.0, "b": 3, "c": -4.0, "list": [1.0, 2, 3.0], "level": 2.0})");
  const config::Reader r(j, "cfg.json");
  EXPECT_EQ(r.integer("a"), 2);
  EXPECT_EQ(r.integer("b"), 3);
  EXPECT_EQ(r.integer("c"), -4);
  EXPECT_EQ(r.integers("list"), (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(r.per_level("level", 3, std::nullopt), (std::vector<int64_t>{2, 2, 2}));
}

TEST(ConfigReader, NonIntegralNumbersAreRefusedNamingTheFileAndKey) {
  const json j = json::parse(R"({"a": 2.5, "list": [1, 2.5], "s": "2", "big": 1e300})");
  const config::Reader r(j, "cfg.json");
  for (const char* key : {"a", "s", "big"}) {
    const std::string msg = input_error_of([&] { r.integer(key, 7); });
    EXPECT_TRUE(contains(msg, "cfg.json")) << msg;
    EXPECT_TRUE(contains(msg, std::string("'") + key + "'")) << msg;
    EXPECT_TRUE(contains(msg, "must be an integer")) << msg;
  }
  const std::string msg = input_error_of([&] { r.integers("list"); });
  EXPECT_TRUE(contains(msg, "'list'") && contains(msg, "2.5")) << msg;
}

TEST(ConfigReader, MissingRequiredKeysAreNamed) {
  const json j = json::parse(R"({"present": 1, "nothing": null})");
  const config::Reader r(j, "unet/config.json");
  for (const char* key : {"absent", "nothing"}) {
    EXPECT_EQ(input_error_of([&] { r.integer(key); }), std::string("unet/config.json: field '") + key + "' is required");
    EXPECT_TRUE(contains(input_error_of([&] { r.number(key); }), "is required"));
    EXPECT_TRUE(contains(input_error_of([&] { r.string(key); }), "is required"));
    EXPECT_TRUE(contains(input_error_of([&] { r.integers(key); }), "is required"));
    EXPECT_TRUE(contains(input_error_of([&] { r.per_level(key, 2, std::nullopt); }), "is required"));
  }
}

TEST(ConfigReader, DefaultsApplyToAbsentAndNullKeys) {
  const json j = json::parse(R"({"nothing": null, "flag": false, "name": "x", "eps": 1e-6})");
  const config::Reader r(j, "cfg");
  EXPECT_EQ(r.integer("absent", 32), 32);
  EXPECT_EQ(r.integer("nothing", 5), 5);
  EXPECT_DOUBLE_EQ(r.number("absent", 0.5), 0.5);
  EXPECT_DOUBLE_EQ(r.number("eps", 0.5), 1e-6);
  EXPECT_TRUE(r.boolean("absent", true));
  EXPECT_FALSE(r.boolean("flag", true));
  EXPECT_EQ(r.string("absent", "dflt"), "dflt");
  EXPECT_EQ(r.string("name", "dflt"), "x");
  EXPECT_EQ(r.per_level("absent", 3, 2), (std::vector<int64_t>{2, 2, 2}));
  EXPECT_FALSE(r.numbers_or_null("nothing", 4).has_value());
  // A config that is absent altogether (null) reads as all defaults.
  const json none;
  EXPECT_EQ(config::Reader(none, "model_index.json").integer("x", 9), 9);
}

TEST(ConfigReader, TypeAndShapeErrorsNameTheKey) {
  const json j = json::parse(R"({"flag": 1, "levels": [1, 2], "stats": [0.1], "kind": "fourier", "arr": [1]})");
  const config::Reader r(j, "cfg");
  EXPECT_TRUE(contains(input_error_of([&] { r.boolean("flag", false); }), "'flag' must be true or false"));
  EXPECT_TRUE(contains(input_error_of([&] { r.per_level("levels", 3, 1); }), "'levels' has 2 entries"));
  EXPECT_TRUE(contains(input_error_of([&] { r.numbers_or_null("stats", 4); }), "'stats'"));
  EXPECT_TRUE(contains(input_error_of([&] { r.expect("kind", {"positional"}); }), "'kind' = \"fourier\" is not supported"));
  EXPECT_TRUE(contains(input_error_of([&] { r.string("arr"); }), "'arr' must be a string"));
  EXPECT_EQ(input_error_of([] { config::Reader(json::array(), "cfg"); }), "cfg: expected a JSON object");
}

// The same rule through a model config reader that used to refuse 2.0 (the tensor layout of a config).
TEST(ConfigReader, TensorLayoutsReadIntegralFloatsLikeIntegers) {
  json vae = preset_config("sdxl-base", "vae");
  const ShapeMap expected = expected_tensors("vae", vae);
  vae["latent_channels"] = 4.0;
  vae["block_out_channels"] = {128.0, 256, 512, 512.0};
  EXPECT_EQ(expected_tensors("vae", vae), expected);
  vae["layers_per_block"] = 2.5;
  const std::string msg = input_error_of([&] { expected_tensors("vae", vae); });
  EXPECT_TRUE(contains(msg, "vae config") && contains(msg, "'layers_per_block'")) << msg;
}

}  // namespace
}  // namespace sdxl
