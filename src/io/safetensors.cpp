#include "io/safetensors.h"

#include "common/error.h"
#include "io/atomic_file.h"
#include "io/mapped_pages.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <limits>

namespace sdxl::io {
namespace {

struct DTypeEntry {
  const char* name;
  size_t size;
  at::ScalarType scalar;
};

constexpr DTypeEntry kDTypes[] = {
    {"F32", 4, at::kFloat}, {"F16", 2, at::kHalf},  {"BF16", 2, at::kBFloat16}, {"F64", 8, at::kDouble},
    {"I64", 8, at::kLong},  {"I32", 4, at::kInt},   {"I16", 2, at::kShort},     {"I8", 1, at::kChar},
    {"U8", 1, at::kByte},   {"BOOL", 1, at::kBool},
};

const DTypeEntry* find_dtype(const std::string& name) {
  for (const auto& e : kDTypes)
    if (name == e.name) return &e;
  return nullptr;
}

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw Error(ErrorCategory::Input, "", path + ": invalid safetensors file: " + what);
}

}  // namespace

int64_t TensorInfo::numel() const {
  int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

size_t dtype_size(const std::string& dtype) {
  if (auto e = find_dtype(dtype)) return e->size;
  throw Error(ErrorCategory::Input, "", "unsupported safetensors dtype '" + dtype + "'");
}

at::ScalarType dtype_to_scalar(const std::string& dtype) {
  if (auto e = find_dtype(dtype)) return e->scalar;
  throw Error(ErrorCategory::Input, "", "unsupported safetensors dtype '" + dtype + "'");
}

std::string scalar_to_dtype(at::ScalarType type) {
  for (const auto& e : kDTypes)
    if (e.scalar == type) return e.name;
  throw Error(ErrorCategory::Input, "", std::string("cannot store tensors of type ") + c10::toString(type) + " in safetensors");
}

struct SafetensorsFile::Mapping {
  void* addr = nullptr;
  size_t length = 0;
  ~Mapping() {
    if (!addr) return;
    unregister_mapping(addr);
    munmap(addr, length);
  }
};

std::vector<TensorInfo> SafetensorsFile::parse_header(const std::string& header_json, uint64_t data_size,
                                                      const std::string& path, nlohmann::json* metadata) {
  nlohmann::json header = nlohmann::json::parse(header_json, nullptr, /*allow_exceptions=*/false);
  if (header.is_discarded()) fail(path, "header is not valid JSON");
  if (!header.is_object()) fail(path, "header is not a JSON object");
  std::vector<TensorInfo> infos;
  for (auto it = header.begin(); it != header.end(); ++it) {
    const std::string& name = it.key();
    const auto& entry = it.value();
    if (name == "__metadata__") {
      if (!entry.is_object()) fail(path, "__metadata__ is not an object");
      if (metadata) *metadata = entry;
      continue;
    }
    const std::string where = "tensor '" + name + "': ";
    if (!entry.is_object()) fail(path, where + "entry is not an object");
    auto dt = entry.find("dtype");
    auto sh = entry.find("shape");
    auto off = entry.find("data_offsets");
    if (dt == entry.end() || !dt->is_string()) fail(path, where + "missing dtype");
    if (sh == entry.end() || !sh->is_array()) fail(path, where + "missing shape");
    if (off == entry.end() || !off->is_array() || off->size() != 2) fail(path, where + "missing data_offsets");
    TensorInfo info;
    info.name = name;
    info.dtype = dt->get<std::string>();
    const DTypeEntry* type = find_dtype(info.dtype);
    if (!type) fail(path, where + "unsupported dtype '" + info.dtype + "'");
    if (sh->size() > kMaxTensorRank)
      fail(path, where + "shape has " + std::to_string(sh->size()) + " dimensions (at most " +
                     std::to_string(kMaxTensorRank) + " are supported)");
    // Element count with overflow checks: a hostile header may claim 2^63 elements. The product of the
    // sides with zeros counted as 1 (libtorch's contiguous strides) must fit in int64 too, or an empty
    // tensor such as [0, 2^62, 2^62] would make at::empty throw c10::Error instead of our Error.
    const uint64_t int64_max = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
    uint64_t count = 1, extent = 1;
    for (const auto& d : *sh) {
      if (!d.is_number_unsigned() && !(d.is_number_integer() && d.get<int64_t>() >= 0))
        fail(path, where + "shape entries must be non-negative integers");
      uint64_t v = d.get<uint64_t>();
      const uint64_t side = std::max<uint64_t>(v, 1);
      if (v > int64_max || extent > int64_max / side) fail(path, where + "shape overflows");
      extent *= side;
      count *= v;  // count <= extent: cannot overflow
      info.shape.push_back(static_cast<int64_t>(v));
    }
    for (const auto& o : *off)
      if (!o.is_number_unsigned() && !(o.is_number_integer() && o.get<int64_t>() >= 0))
        fail(path, where + "data_offsets must be non-negative integers");
    info.begin = (*off)[0].get<uint64_t>();
    info.end = (*off)[1].get<uint64_t>();
    if (info.begin > info.end) fail(path, where + "data_offsets are reversed");
    if (info.end > data_size)
      fail(path, where + "data ends at byte " + std::to_string(info.end) + " past the data section (" +
                     std::to_string(data_size) + " bytes)");
    if (count > std::numeric_limits<uint64_t>::max() / type->size || count * type->size != info.end - info.begin)
      fail(path, where + "shape needs " + std::to_string(count) + " x " + std::to_string(type->size) +
                     " bytes but data_offsets span " + std::to_string(info.end - info.begin));
    infos.push_back(std::move(info));
  }
  // Spans must not overlap (zero-length tensors occupy nothing).
  std::vector<const TensorInfo*> by_offset;
  for (const auto& t : infos) by_offset.push_back(&t);
  std::sort(by_offset.begin(), by_offset.end(),
            [](const TensorInfo* a, const TensorInfo* b) { return a->begin < b->begin; });
  const TensorInfo* prev = nullptr;
  for (const auto* t : by_offset) {
    if (t->begin == t->end) continue;
    if (prev && t->begin < prev->end)
      fail(path, "tensor '" + t->name + "' overlaps tensor '" + prev->name + "'");
    prev = t;
  }
  return infos;
}

std::shared_ptr<SafetensorsFile> SafetensorsFile::open(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorCategory::Input, "", path + ": cannot open file");
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) throw Error(ErrorCategory::Input, "", path + ": cannot stat file");
  if (S_ISDIR(st.st_mode)) throw Error(ErrorCategory::Input, "", path + ": is a directory, expected a .safetensors file");
  const uint64_t file_size = static_cast<uint64_t>(st.st_size);
  if (file_size < 8) fail(path, "file is shorter than the 8-byte header length");
  unsigned char len_bytes[8];
  in.read(reinterpret_cast<char*>(len_bytes), 8);
  if (!in) fail(path, "cannot read header length");
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | len_bytes[i];
  if (header_len > file_size - 8)
    fail(path, "header length " + std::to_string(header_len) + " runs past the end of the file (" +
                   std::to_string(file_size) + " bytes)");
  if (header_len > kMaxHeaderBytes) fail(path, "header length " + std::to_string(header_len) + " exceeds 100 MiB");
  std::string header(header_len, '\0');
  in.read(header.data(), static_cast<std::streamsize>(header_len));
  if (!in) fail(path, "cannot read header");

  std::shared_ptr<SafetensorsFile> file(new SafetensorsFile());
  file->path_ = path;
  file->file_size_ = file_size;
  file->data_start_ = 8 + header_len;
  file->tensors_ = parse_header(header, file_size - file->data_start_, path, &file->metadata_);
  for (size_t i = 0; i < file->tensors_.size(); ++i) file->index_[file->tensors_[i].name] = i;
  return file;
}

SafetensorsFile::~SafetensorsFile() = default;

const TensorInfo* SafetensorsFile::find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &tensors_[it->second];
}

void SafetensorsFile::map_data() const {
  if (mapping_) return;
  int fd = ::open(path_.c_str(), O_RDONLY);
  if (fd < 0) throw Error(ErrorCategory::Input, "", path_ + ": cannot open file for mapping");
  struct stat st {};
  if (fstat(fd, &st) != 0 || static_cast<uint64_t>(st.st_size) != file_size_) {
    ::close(fd);
    throw Error(ErrorCategory::Input, "", path_ + ": file changed size since its header was read");
  }
  auto m = std::make_shared<Mapping>();
  m->length = file_size_;
  m->addr = mmap(nullptr, file_size_, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (m->addr == MAP_FAILED) {
    m->addr = nullptr;
    throw Error(ErrorCategory::Input, "", path_ + ": cannot memory-map file");
  }
  register_mapping(m->addr, m->length);
  mapping_ = m;
}

at::Tensor SafetensorsFile::tensor(const std::string& name) const {
  const TensorInfo* info = find(name);
  if (!info) throw Error(ErrorCategory::Input, "", path_ + ": no tensor named '" + name + "'");
  const at::ScalarType type = dtype_to_scalar(info->dtype);
  const auto options = at::TensorOptions().dtype(type).device(at::kCPU);
  if (info->begin == info->end) return at::empty(info->shape, options);
  map_data();
  // A file truncated after opening would fault on access: refuse instead.
  struct stat st {};
  if (stat(path_.c_str(), &st) != 0 || static_cast<uint64_t>(st.st_size) < data_start_ + info->end)
    throw Error(ErrorCategory::Input, "", path_ + ": file shrank while mapped (tensor '" + name + "')");
  auto* base = static_cast<char*>(mapping_->addr) + data_start_ + info->begin;
  if (reinterpret_cast<uintptr_t>(base) % dtype_size(info->dtype) != 0) {
    at::Tensor out = at::empty(info->shape, options);
    std::memcpy(out.data_ptr(), base, info->end - info->begin);
    return out;
  }
  auto keep = mapping_;
  return at::from_blob(base, info->shape, [keep](void*) {}, options);
}

void save_safetensors(const std::string& path, const std::map<std::string, at::Tensor>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  nlohmann::json header = nlohmann::json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::vector<at::Tensor> contiguous;
  uint64_t offset = 0;
  for (const auto& [name, t] : tensors) {
    at::Tensor c = t.detach().to(at::kCPU).contiguous();
    const uint64_t bytes = static_cast<uint64_t>(c.numel()) * c.element_size();
    header[name] = {{"dtype", scalar_to_dtype(c.scalar_type())},
                    {"shape", c.sizes().vec()},
                    {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
    contiguous.push_back(c);
  }
  std::string text = header.dump();
  while ((text.size() + 8) % 8 != 0) text.push_back(' ');  // keep tensor data 8-byte aligned
  AtomicFile out(path);
  unsigned char len_bytes[8];
  uint64_t len = text.size();
  for (int i = 0; i < 8; ++i) len_bytes[i] = static_cast<unsigned char>(len >> (8 * i));
  out.write(len_bytes, 8);
  out.write(text.data(), text.size());
  for (const auto& c : contiguous) out.write(c.data_ptr(), static_cast<size_t>(c.numel()) * c.element_size());
  out.commit();
}

}  // namespace sdxl::io
