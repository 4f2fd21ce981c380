#include "io/mapped_pages.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <map>
#include <mutex>

namespace sdxl::io {
namespace {

struct Registry {
  std::mutex mutex;
  std::map<uintptr_t, size_t> mappings;  // start address -> length
};

Registry& registry() {
  static Registry r;
  return r;
}

}  // namespace

void register_mapping(const void* addr, size_t length) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  r.mappings[reinterpret_cast<uintptr_t>(addr)] = length;
}

void unregister_mapping(const void* addr) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  r.mappings.erase(reinterpret_cast<uintptr_t>(addr));
}

void release_mapped_pages(const at::Tensor& t) {
  if (!t.defined() || !t.device().is_cpu() || !t.has_storage()) return;
  // The whole storage: a split q/k/v or transposed view releases its parent's range, which is re-read
  // from the page cache if a sibling view still needs it.
  const auto begin = reinterpret_cast<uintptr_t>(t.storage().data());
  const uintptr_t end = begin + t.storage().nbytes();
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);  // the mapping cannot be unmapped while we advise
  auto it = r.mappings.upper_bound(begin);
  if (it == r.mappings.begin()) return;
  --it;
  if (end > it->first + it->second) return;  // not inside this mapping
  const auto page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const uintptr_t first = (begin + page - 1) / page * page, last = end / page * page;  // whole pages only
  if (first < last) madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED);
}

}  // namespace sdxl::io
