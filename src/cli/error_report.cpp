#include "cli/error_report.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <vector>

#include <c10/util/Exception.h>

#include "common/error.h"
#include "common/strings.h"

#ifdef __has_include
#if __has_include(<c10/cuda/CUDACachingAllocator.h>)
#include <c10/cuda/CUDACachingAllocator.h>
#define SDXL_HAVE_CUDA_ALLOCATOR 1
#endif
#endif

namespace sdxl::cli {
namespace {

// The failed allocation in libtorch's messages: "you tried to allocate 4294967296 bytes" (CPU allocator)
// or "Tried to allocate 2.00 GiB" (CUDA caching allocator).
std::optional<uint64_t> allocation_size(const std::string& lower_text) {
  const std::string key = "tried to allocate ";
  const size_t at = lower_text.find(key);
  if (at == std::string::npos) return std::nullopt;
  const char* begin = lower_text.c_str() + at + key.size();
  char* end = nullptr;
  const double value = std::strtod(begin, &end);
  if (end == begin || !(value >= 0)) return std::nullopt;
  while (*end == ' ') ++end;
  static const std::pair<const char*, double> kUnits[] = {
      {"byte", 1.0}, {"kib", 0x1p10}, {"mib", 0x1p20}, {"gib", 0x1p30}, {"tib", 0x1p40}};
  for (const auto& [unit, scale] : kUnits)
    if (starts_with(end, unit) && value * scale < 0x1p63) return static_cast<uint64_t>(std::llround(value * scale));
  return std::nullopt;
}

std::string format_bytes(uint64_t bytes) {
  if (bytes < 1024) return std::to_string(bytes) + " bytes";
  static const char* kUnits[] = {"KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes) / 1024;
  int unit = 0;
  while (value >= 1024 && unit < 3) value /= 1024, ++unit;
  char text[32];
  std::snprintf(text, sizeof text, "%.1f %s", value, kUnits[unit]);
  return text;
}

}  // namespace

std::string one_line(const std::exception& e) {
  const auto* c10_error = dynamic_cast<const c10::Error*>(&e);
  const std::string what = c10_error ? c10_error->what_without_backtrace() : e.what();
  return what.substr(0, what.find('\n'));
}

std::optional<OutOfMemory> as_out_of_memory(const std::exception& e) {
  if (dynamic_cast<const std::bad_alloc*>(&e)) return OutOfMemory{};
  // sdxl::Error is a bad input; its message may quote user text, which must not look like an OOM.
  if (dynamic_cast<const Error*>(&e)) return std::nullopt;
  const auto* c10_error = dynamic_cast<const c10::Error*>(&e);
  const std::string text = ascii_lower(c10_error ? c10_error->what_without_backtrace() : e.what());
  const bool oom = dynamic_cast<const c10::OutOfMemoryError*>(&e) != nullptr ||
                   text.find("out of memory") != std::string::npos ||            // CUDA, cudaMalloc
                   text.find("can't allocate memory") != std::string::npos ||    // libtorch CPU allocator
                   text.find("not enough memory") != std::string::npos ||        // its older wording
                   text.find("cublas_status_alloc_failed") != std::string::npos;  // cuBLAS workspace
  if (!oom) return std::nullopt;
  OutOfMemory result;
  result.bytes = allocation_size(text);
  result.gpu = text.find("cuda") != std::string::npos || text.find("gpu") != std::string::npos ||
               text.find("cublas") != std::string::npos;
  return result;
}

std::string out_of_memory_message(const OutOfMemory& oom, const GenerationRequest* request, bool low_memory) {
  std::string message = "out of memory";
  if (request)
    message += " at " + std::to_string(request->sampling.size.width) + "x" +
               std::to_string(request->sampling.size.height) + " (batch " +
               std::to_string(request->sampling.num_images) + ")";
  const std::string where = oom.gpu ? "the GPU" : "the CPU";
  message += oom.bytes ? ": could not allocate " + format_bytes(*oom.bytes) + " on " + where : " on " + where;
  std::vector<std::string> hints = {"a smaller --size"};
  if (request && request->sampling.num_images > 1) hints.push_back("fewer --num-images");
  if (!request || !request->output.vae_tiling) hints.push_back("--vae-tiling");
  if (!low_memory) hints.push_back("--low-memory");
  message += "; try ";
  for (size_t i = 0; i < hints.size(); ++i)
    message += (i == 0 ? "" : i + 1 == hints.size() ? " or " : ", ") + hints[i];
  return message;
}

void release_cached_gpu_memory() {
#ifdef SDXL_HAVE_CUDA_ALLOCATOR
  auto* allocator = c10::cuda::CUDACachingAllocator::get();
  if (!allocator || !allocator->initialized()) return;
  try {
    allocator->emptyCache();
  } catch (const std::exception&) {
    // Best effort while recovering from an OOM: a failing CUDA runtime shows up again on the next item.
  }
#endif
}

}  // namespace sdxl::cli
