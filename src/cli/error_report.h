// What the CLI prints when a command or a batch item fails: one line. Out-of-memory failures are
// recognised among the exceptions libtorch and the standard library throw, and get their own message.
#pragma once
#include <cstdint>
#include <exception>
#include <optional>
#include <string>

#include "sdxl/request.h"

namespace sdxl::cli {

struct OutOfMemory {
  std::optional<uint64_t> bytes;  // the allocation that failed, when the message says
  bool gpu = false;               // CUDA memory (else host memory)
};

// The first line of e.what(); for libtorch's c10::Error, without the C++ backtrace it appends.
std::string one_line(const std::exception& e);

// nullopt unless `e` is an allocation failure: std::bad_alloc, c10::OutOfMemoryError (CUDA caching
// allocator), libtorch's CPU allocator failing (in 2.11 a plain c10::Error: "DefaultCPUAllocator: can't
// allocate memory: you tried to allocate N bytes"), or another error whose text says "out of memory".
// An sdxl::Error (bad input) never is one, whatever user text it quotes.
std::optional<OutOfMemory> as_out_of_memory(const std::exception& e);

// "out of memory at 1024x1024 (batch 4): could not allocate 2.0 GiB on the GPU; try a smaller --size,
// fewer --num-images, --vae-tiling or --low-memory". The hint leaves out what the request (and
// `low_memory`) already do. Without a request (models loading) the size part is left out.
std::string out_of_memory_message(const OutOfMemory& oom, const GenerationRequest* request, bool low_memory);

// Returns the blocks cached by libtorch's CUDA allocator to the driver, so the next item starts from
// free GPU memory. A no-op when CUDA was never used or libtorch has no CUDA.
void release_cached_gpu_memory();

}  // namespace sdxl::cli
