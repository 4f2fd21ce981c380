// Dropping the resident pages of memory-mapped checkpoint data once they have been copied.
//
// Why: loading converts every tensor from the mapped file into a parameter of the target dtype. Pages of
// a file mapping that were read count towards the process's resident set until unmapped, so loading a
// 6.9 GB fp16 checkpoint into fp32 parameters would peak at parameters + the whole file (~17 GB for the
// base UNet + text encoders). Releasing each tensor's pages right after its copy keeps the peak at the
// parameters alone. The data stays correct: a private read-only file mapping re-reads a dropped page from
// the file (or the page cache) on the next access.
#pragma once
#include <torch/torch.h>

#include <cstddef>

namespace sdxl::io {

// Called by the safetensors reader for each mapping it creates / unmaps.
void register_mapping(const void* addr, size_t length);
void unregister_mapping(const void* addr);

// If `t` views a registered mapping, tells the kernel its whole pages are not needed (MADV_DONTNEED).
// Anything else (heap tensors, CUDA tensors, undefined) is left alone, so this is safe to call on any tensor.
void release_mapped_pages(const at::Tensor& t);

}  // namespace sdxl::io
