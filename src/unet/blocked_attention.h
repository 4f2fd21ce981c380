// bf16 multi-head attention on the CPU as oneDNN matrix products with a vectorised softmax between them, in
// place of libtorch's CPU flash attention (issue 28: at head width 64 the flash kernel ran at ~30% of the
// bf16 GEMM rate, the rest of the UNet at 87-111%; docs/performance.md has the measurements).
//
// Per batch item and block of query rows, all heads at once: scores = q_block k^T as one batched bf16 matmul
// (fp32 accumulation, rounded to bf16 once), softmax of each score row computed in fp32 and written back in
// place as bf16 probabilities, then out_block = probabilities v as a second batched matmul. Numerics are
// those of diffusers' classic AttnProcessor in bf16 (scores and probabilities rounded to bf16), where the
// flash kernel keeps the scores in fp32: on random inputs its max error against fp32 attention is ~5x the
// flash kernel's (measured in docs/performance.md), within the bf16 goldens' tolerances.
#pragma once
#include <ATen/ATen.h>

namespace sdxl {

// Whether this build and CPU can run blocked_attention (x86-64 with AVX-512).
bool blocked_attention_supported();

// Whether multi_head_attention uses blocked_attention for these inputs: bf16 CPU tensors without autograd,
// at least 1024 keys (self-attention over 32x32 latent pixels or more; the flash kernel is faster on the
// 77 text tokens), oneDNN enabled (it is off in --reproducible mode, whose rounding must not depend on the
// CPU; that mode keeps the flash kernel), and a CPU with AVX-512 (the softmax kernel's instruction set).
bool blocked_attention_applies(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v);

// softmax(q k^T / sqrt(d)) v per head: q [B, Nq, heads*d], k/v [B, Nk, heads*d] -> [B, Nq, heads*d].
// Any key count; only where blocked_attention_supported().
at::Tensor blocked_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, int64_t heads);

}  // namespace sdxl
