// Fuzz target: the safetensors header validator and the whole-file reader (src/io/safetensors.h).
// The input is a safetensors file: u64 little-endian header length, JSON header, data.
//  1. SafetensorsFile::parse_header on the header bytes, with the data size the file really has after
//     the header, and again with a data size the input claims (its last 8 bytes, e.g. "10 GB").
//  2. The input as a file (memfd): open(), then every tensor read byte by byte and compared with the input.
// sdxl::Error is the expected outcome for bad input; anything else (crash, sanitizer report, another
// exception type, a broken invariant below) is a finding.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>

#include "common/error.h"
#include "fuzz_util.h"
#include "io/safetensors.h"

namespace {

using sdxl::io::SafetensorsFile;
using sdxl::io::TensorInfo;

uint64_t le64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// What parse_header promises about an accepted header.
void check_infos(const std::vector<TensorInfo>& infos, uint64_t data_size) {
  std::vector<const TensorInfo*> spans;
  for (const auto& t : infos) {
    FUZZ_CHECK(t.begin <= t.end && t.end <= data_size, t.name);
    uint64_t bytes = sdxl::io::dtype_size(t.dtype);
    for (int64_t d : t.shape) {
      FUZZ_CHECK(d >= 0, t.name);
      FUZZ_CHECK(!__builtin_mul_overflow(bytes, static_cast<uint64_t>(d), &bytes), t.name);
    }
    FUZZ_CHECK(bytes == t.end - t.begin, t.name);
    if (t.end - t.begin < uint64_t(std::numeric_limits<int64_t>::max()))
      FUZZ_CHECK(uint64_t(t.numel()) * sdxl::io::dtype_size(t.dtype) == t.end - t.begin, t.name);
    if (t.begin != t.end) spans.push_back(&t);
  }
  std::sort(spans.begin(), spans.end(), [](auto* a, auto* b) { return a->begin < b->begin; });
  for (size_t i = 1; i < spans.size(); ++i) FUZZ_CHECK(spans[i]->begin >= spans[i - 1]->end, spans[i]->name);
}

void parse_header(const std::string& header, uint64_t data_size) {
  try {
    nlohmann::json metadata;
    check_infos(SafetensorsFile::parse_header(header, data_size, "fuzz.safetensors", &metadata), data_size);
    FUZZ_CHECK(metadata.is_null() || metadata.is_object(), "metadata");
  } catch (const sdxl::Error&) {
  }
}

void read_whole_file(std::string_view bytes) {
  sdxl::fuzz::MemFile file(bytes);
  try {
    auto st = SafetensorsFile::open(file.path());
    const uint64_t data_start = 8 + le64(reinterpret_cast<const uint8_t*>(bytes.data()));
    for (const auto& info : st->tensors()) {
      FUZZ_CHECK(st->find(info.name) == &info, info.name);
      at::Tensor t = st->tensor(info.name);
      FUZZ_CHECK(t.sizes().vec() == info.shape, info.name);
      FUZZ_CHECK(t.scalar_type() == sdxl::io::dtype_to_scalar(info.dtype), info.name);
      FUZZ_CHECK(t.is_contiguous() && uint64_t(t.nbytes()) == info.end - info.begin, info.name);
      if (info.begin != info.end)  // every byte readable and equal to the file's
        FUZZ_CHECK(std::memcmp(t.data_ptr(), bytes.data() + data_start + info.begin, t.nbytes()) == 0, info.name);
    }
    try {
      st->tensor(std::string("\x01no such tensor", 15));
      FUZZ_CHECK(false, "tensor() of an absent name returned");
    } catch (const sdxl::Error&) {
    }
  } catch (const sdxl::Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  if (size >= 8) {
    const uint64_t header_len = std::min<uint64_t>(le64(data), size - 8);
    const std::string header(bytes.substr(8, header_len));
    parse_header(header, size - 8 - header_len);
    if (size >= 16) parse_header(header, le64(data + size - 8));
  }
  read_whole_file(bytes);
  return 0;
}
