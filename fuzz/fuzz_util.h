// Shared pieces of the libFuzzer targets: invariant checks that abort (so libFuzzer keeps the input)
// and in-memory files for the parsers that take a path.
#pragma once
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace sdxl::fuzz {

// A broken invariant is a finding like a sanitizer report: print it and abort.
#define FUZZ_CHECK(cond, what)                                                               \
  do {                                                                                       \
    if (!(cond)) {                                                                           \
      std::fprintf(stderr, "FUZZ_CHECK failed at %s:%d: %s (%s)\n", __FILE__, __LINE__, #cond, \
                   std::string(what).c_str());                                               \
      std::abort();                                                                          \
    }                                                                                        \
  } while (0)

// An anonymous in-memory file (memfd) holding `bytes`, reachable by path as /proc/self/fd/N; no disk I/O.
// Parsers that dispatch on the extension need a real name: see TempFile. Closed on destruction.
class MemFile {
 public:
  explicit MemFile(std::string_view bytes) {
    fd_ = memfd_create("sdxl-fuzz", 0);
    if (fd_ < 0) {
      std::perror("memfd_create");
      std::abort();
    }
    size_t done = 0;
    while (done < bytes.size()) {
      ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
      if (n <= 0) {
        std::perror("write memfd");
        std::abort();
      }
      done += static_cast<size_t>(n);
    }
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  ~MemFile() { ::close(fd_); }
  MemFile(const MemFile&) = delete;
  MemFile& operator=(const MemFile&) = delete;

  const std::string& path() const { return path_; }
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
  std::string path_;
};

// A real file named `<tmp>/sdxl-fuzz-<pid>/input<extension>` (for parsers that read the extension),
// rewritten for every input and removed on destruction. $TMPDIR (default /tmp) should be a tmpfs for speed.
class TempFile {
 public:
  TempFile(std::string_view bytes, const std::string& extension) {
    const char* tmp = std::getenv("TMPDIR");
    dir_ = std::string(tmp && *tmp ? tmp : "/tmp") + "/sdxl-fuzz-" + std::to_string(getpid());
    ::mkdir(dir_.c_str(), 0700);
    path_ = dir_ + "/input" + extension;
    FILE* f = std::fopen(path_.c_str(), "wb");
    if (!f || std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size() || std::fclose(f) != 0) {
      std::perror(path_.c_str());
      std::abort();
    }
  }
  ~TempFile() {
    ::unlink(path_.c_str());
    ::rmdir(dir_.c_str());
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string dir_, path_;
};

}  // namespace sdxl::fuzz
