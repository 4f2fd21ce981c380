// safetensors reader/writer (https://github.com/huggingface/safetensors format):
// u64 little-endian header length, JSON header {name: {dtype, shape, data_offsets}}, raw data.
// The header is validated completely against the file size before any offset is trusted;
// tensor data is memory-mapped and handed out without copying.
#pragma once
#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace sdxl::io {

// Largest header accepted: real SDXL single files have ~300 KiB headers.
constexpr uint64_t kMaxHeaderBytes = 100ull << 20;
// Most dimensions a tensor may have: SDXL's have at most 4 (conv weights); 16 leaves room for any other
// model while refusing headers that list hundreds of thousands of sides.
constexpr size_t kMaxTensorRank = 16;

struct TensorInfo {
  std::string name;
  std::string dtype;            // safetensors dtype string, e.g. "F16"
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;  // byte span inside the data section
  int64_t numel() const;
};

// Element size in bytes of a safetensors dtype string; throws sdxl::Error for unknown ones.
size_t dtype_size(const std::string& dtype);
at::ScalarType dtype_to_scalar(const std::string& dtype);
std::string scalar_to_dtype(at::ScalarType type);

class SafetensorsFile {
 public:
  // Reads and validates the header only; maps the data lazily on first tensor access.
  static std::shared_ptr<SafetensorsFile> open(const std::string& path);
  // Validates a header held in memory (the fuzz target's entry point). `file_size` is the whole file's.
  static std::vector<TensorInfo> parse_header(const std::string& header_json, uint64_t data_size,
                                              const std::string& path, nlohmann::json* metadata);
  ~SafetensorsFile();

  const std::string& path() const { return path_; }
  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  const TensorInfo* find(const std::string& name) const;
  bool contains(const std::string& name) const { return find(name) != nullptr; }
  const nlohmann::json& metadata() const { return metadata_; }

  // CPU tensor viewing the mapped bytes (read-only: never write to it). Copies only when the
  // data is misaligned for its element type. The mapping lives as long as any returned tensor.
  at::Tensor tensor(const std::string& name) const;

 private:
  SafetensorsFile() = default;
  void map_data() const;

  std::string path_;
  uint64_t file_size_ = 0;
  uint64_t data_start_ = 0;
  std::vector<TensorInfo> tensors_;
  std::map<std::string, size_t> index_;
  nlohmann::json metadata_;
  struct Mapping;
  mutable std::shared_ptr<Mapping> mapping_;
};

// Writes tensors (any device/dtype among F32/F16/BF16/I64...) atomically: temp file + rename.
void save_safetensors(const std::string& path, const std::map<std::string, at::Tensor>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

}  // namespace sdxl::io
