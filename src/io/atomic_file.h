// Atomic output: bytes go to a temporary file beside the target, which is renamed over the target
// only on commit(). An interrupted run leaves the old file (or none), never a truncated one.
#pragma once
#include <cstddef>
#include <string>

namespace sdxl::io {

class AtomicFile {
 public:
  explicit AtomicFile(std::string path);
  ~AtomicFile();  // removes the temporary file unless committed
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(const void* data, size_t size);
  void commit();  // flush, fsync, rename over the target

 private:
  std::string path_, tmp_path_;
  int fd_ = -1;
  bool committed_ = false;
};

// Whole-file helpers built on AtomicFile / plain reads; errors name the path.
void write_file_atomic(const std::string& path, const std::string& bytes);
std::string read_file(const std::string& path);

}  // namespace sdxl::io
