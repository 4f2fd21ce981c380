// Regression tests for hostile inputs found by the fuzzers (fuzz/, docs/robustness.md) and for the
// hostile-file cases the robustness table lists that no other test covered. Each must be an sdxl::Error
// naming the file and the tensor, never a crash or another exception type.
#include <filesystem>
#include <functional>
#include <fstream>

#include "common/error.h"
#include "io/prompt_file.h"
#include "io/safetensors.h"
#include "test_util.h"

namespace sdxl {
namespace {

using test::temp_path;

// A safetensors file: u64 little-endian header length, header, data.
std::string write_safetensors(const std::string& name, const std::string& header, const std::string& data) {
  const std::string path = temp_path(name);
  std::ofstream out(path, std::ios::binary);
  const uint64_t len = header.size();
  for (int i = 0; i < 8; ++i) out.put(static_cast<char>(len >> (8 * i)));
  out << header << data;
  return path;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// fuzz/safetensors_header: an empty tensor ([0, 2^62, 2^62]) passed the element-count check (0 elements,
// 0 bytes) but at::empty could not compute its strides and threw c10::Error ("Stride calculation
// overflowed") out of SafetensorsFile::tensor(). The sides, zeros counted as 1, must fit in int64.
TEST(HostileSafetensors, EmptyTensorWhoseSidesOverflowIsRejected) {
  for (const char* shape : {"[0,4611686018427387904,4611686018427387904]", "[4611686018427387904,0,4]",
                            "[0,9223372036854775807,2]", "[0,3037000500,3037000500,2]"}) {
    const std::string header = std::string(R"({"e":{"dtype":"F32","shape":)") + shape + R"(,"data_offsets":[0,0]}})";
    const std::string parse_error =
        error_of([&] { io::SafetensorsFile::parse_header(header, 0, "mem.safetensors", nullptr); });
    EXPECT_NE(parse_error.find("mem.safetensors"), std::string::npos) << shape << ": " << parse_error;
    EXPECT_NE(parse_error.find("tensor 'e'"), std::string::npos) << shape << ": " << parse_error;
    EXPECT_NE(parse_error.find("shape overflows"), std::string::npos) << shape << ": " << parse_error;

    const std::string path = write_safetensors("empty_overflow.safetensors", header, "");
    const std::string open_error = error_of([&] { io::SafetensorsFile::open(path)->tensor("e"); });
    EXPECT_NE(open_error.find(path), std::string::npos) << shape << ": " << open_error;
  }
}

TEST(HostileSafetensors, LargeEmptyTensorsThatFitStillOpen) {
  // The product of the non-zero sides is 2^62: representable, so the tensor is valid (and empty).
  const std::string path = write_safetensors(
      "empty_large.safetensors",
      R"({"e":{"dtype":"BF16","shape":[2147483648,0,2147483648],"data_offsets":[0,0]},)"
      R"("z":{"dtype":"I64","shape":[0],"data_offsets":[0,0]}})",
      "");
  auto file = io::SafetensorsFile::open(path);
  const at::Tensor e = file->tensor("e");
  EXPECT_EQ(e.sizes().vec(), (std::vector<int64_t>{2147483648, 0, 2147483648}));
  EXPECT_EQ(e.scalar_type(), at::kBFloat16);
  EXPECT_EQ(e.numel(), 0);
  EXPECT_EQ(file->tensor("z").numel(), 0);
}

// A shape listing 200,000 sides (each 1, so the element count and span were consistent) used to be
// accepted; the rank is now capped at io::kMaxTensorRank, generous next to SDXL's 4.
TEST(HostileSafetensors, ShapeWithTooManyDimensionsIsRejected) {
  auto header_with_rank = [](size_t rank) {
    std::string shape = "[";
    for (size_t i = 0; i < rank; ++i) shape += i ? ",1" : "1";
    return R"({"w":{"dtype":"F32","shape":)" + shape + R"(],"data_offsets":[0,4]}})";
  };
  for (size_t rank : {io::kMaxTensorRank + 1, size_t{200000}}) {
    const std::string header = header_with_rank(rank);
    const std::string parse_error =
        error_of([&] { io::SafetensorsFile::parse_header(header, 4, "mem.safetensors", nullptr); });
    EXPECT_EQ(parse_error, "mem.safetensors: invalid safetensors file: tensor 'w': shape has " + std::to_string(rank) +
                               " dimensions (at most " + std::to_string(io::kMaxTensorRank) + " are supported)");
    const std::string path = write_safetensors("many_dims.safetensors", header, std::string(4, '\0'));
    const std::string open_error = error_of([&] { io::SafetensorsFile::open(path); });
    EXPECT_EQ(open_error.rfind(path + ": ", 0), 0u) << open_error;
    EXPECT_NE(open_error.find("tensor 'w': shape has " + std::to_string(rank) + " dimensions"), std::string::npos)
        << open_error;
  }
  // At the cap the tensor still opens, with every side.
  const std::string path =
      write_safetensors("max_dims.safetensors", header_with_rank(io::kMaxTensorRank), std::string(4, '\0'));
  const at::Tensor w = io::SafetensorsFile::open(path)->tensor("w");
  EXPECT_EQ(static_cast<size_t>(w.dim()), io::kMaxTensorRank);
  EXPECT_EQ(w.numel(), 1);
}

// A file truncated after its header was validated: before the first tensor is mapped, and after.
TEST(HostileSafetensors, FileShrinkingAfterOpenIsAnError) {
  const std::string header = R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},)"
                             R"("b":{"dtype":"F32","shape":[1024],"data_offsets":[16,4112]}})";
  const std::string data(4112, '\x01');

  const std::string before = write_safetensors("shrink_before.safetensors", header, data);
  auto f1 = io::SafetensorsFile::open(before);
  std::filesystem::resize_file(before, 8 + header.size() + 100);
  const std::string e1 = error_of([&] { f1->tensor("a"); });
  EXPECT_NE(e1.find(before), std::string::npos) << e1;
  EXPECT_NE(e1.find("changed size"), std::string::npos) << e1;

  const std::string after = write_safetensors("shrink_after.safetensors", header, data);
  auto f2 = io::SafetensorsFile::open(after);
  const at::Tensor a = f2->tensor("a").clone();  // maps the file
  EXPECT_EQ(a.numel(), 4);
  std::filesystem::resize_file(after, 8 + header.size() + 100);
  const std::string e2 = error_of([&] { f2->tensor("b"); });
  EXPECT_NE(e2.find(after), std::string::npos) << e2;
  EXPECT_NE(e2.find("shrank while mapped"), std::string::npos) << e2;
  EXPECT_NE(e2.find("'b'"), std::string::npos) << e2;
}

// A .txt line with a NUL byte is an error, and so is a .jsonl string that decodes to one ("\u0000"),
// which the raw-byte check could not see; the prompt would otherwise fail only when its PNG is written.
TEST(HostilePromptFile, EscapedNulInJsonlIsAnErrorLikeARawNul) {
  const std::set<std::string> allowed = {"prompt", "negative_prompt", "seed"};
  const auto lines = io::parse_prompt_text(
      "{\"prompt\": \"a\\u0000b\"}\n{\"prompt\": \"ok\", \"negative_prompt\": \"\\u0000\"}\n{\"prompt\": \"a\\u0001b\"}\n",
      true, "p.jsonl", allowed);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].error, "p.jsonl:1: field 'prompt' contains a NUL character (\\u0000)");
  EXPECT_TRUE(lines[0].fields.is_null());
  EXPECT_EQ(lines[1].error, "p.jsonl:2: field 'negative_prompt' contains a NUL character (\\u0000)");
  EXPECT_EQ(lines[2].error, "");  // other control characters are ordinary prompt text
  EXPECT_EQ(lines[2].fields["prompt"], "a\x01" "b");
}

// An unknown key is quoted in the error; its control characters (terminal escapes) are escaped, so the
// one-line message stays one printable line.
TEST(HostilePromptFile, UnknownKeysAreQuotedPrintably) {
  const auto lines = io::parse_prompt_text("{\"\\u001b[31mred\\n\": 1}\n", true, "p.jsonl", {"prompt"});
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].error, "p.jsonl:1: unknown field '\\x1b[31mred\\x0a' (allowed: prompt)");
  // The JSON parser's message quotes what it read: a DEL there is escaped too.
  const auto bad = io::parse_prompt_text("{\"prompt\": \x7f}\n", true, "p.jsonl", {"prompt"});
  ASSERT_EQ(bad.size(), 1u);
  EXPECT_EQ(bad[0].error.rfind("p.jsonl:1: invalid JSON (", 0), 0u) << bad[0].error;
  EXPECT_NE(bad[0].error.find("\\x7f"), std::string::npos) << bad[0].error;
  EXPECT_EQ(bad[0].error.find('\x7f'), std::string::npos) << bad[0].error;
}

}  // namespace
}  // namespace sdxl
