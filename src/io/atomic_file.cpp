#include "io/atomic_file.h"

#include "common/error.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

namespace sdxl::io {

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
  tmp_path_ = path_ + ".tmp-XXXXXX";
  fd_ = mkstemp(tmp_path_.data());
  if (fd_ < 0) throw Error(ErrorCategory::Input, "", path_ + ": cannot create output file (" + std::strerror(errno) + ")");
  fchmod(fd_, 0644);
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(tmp_path_.c_str());
}

void AtomicFile::write(const void* data, size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::write(fd_, p, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error(ErrorCategory::Input, "", path_ + ": write failed (" + std::strerror(errno) + ")");
    }
    p += n;
    size -= static_cast<size_t>(n);
  }
}

void AtomicFile::commit() {
  if (::fsync(fd_) != 0) throw Error(ErrorCategory::Input, "", path_ + ": fsync failed (" + std::strerror(errno) + ")");
  ::close(fd_);
  fd_ = -1;
  if (std::rename(tmp_path_.c_str(), path_.c_str()) != 0)
    throw Error(ErrorCategory::Input, "", path_ + ": cannot rename temporary file into place (" + std::strerror(errno) + ")");
  committed_ = true;
}

void write_file_atomic(const std::string& path, const std::string& bytes) {
  AtomicFile f(path);
  f.write(bytes.data(), bytes.size());
  f.commit();
}

std::string read_file(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) throw Error(ErrorCategory::Input, "", path + ": no such file");
  if (S_ISDIR(st.st_mode)) throw Error(ErrorCategory::Input, "", path + ": is a directory, expected a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorCategory::Input, "", path + ": cannot open file");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace sdxl::io
