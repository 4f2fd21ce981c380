#include "unet/blocked_attention.h"

#include "common/error.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define SDXL_BLOCKED_ATTENTION 1
#include <immintrin.h>
#endif

namespace sdxl {
namespace {

// Fewest keys for which the blocks beat the flash kernel: measured faster at 1024 and 4096 keys (the UNet's
// self-attention at 512x512 and 1024x1024), not at 77 (cross-attention over the text); shorter
// self-attention (fewer than 1024 pixels in a layer) keeps the flash kernel, unmeasured.
constexpr int64_t kMinKeys = 1024;

}  // namespace

#ifdef SDXL_BLOCKED_ATTENTION
namespace {

#define SDXL_AVX512 __attribute__((target("avx512f,avx512bw")))

// Query rows per block, all heads at once: the block's bf16 scores are heads x rows x Nk (40 MB for the 1024x1024
// UNet's 4096-token layers). Measured 64, 128, 256, 512 on the full-size shapes (docs/performance.md): the fewer
// and larger matmul calls the faster, up to 512.
constexpr int64_t kBlockRows = 512;

// exp(x) for x <= 0 (x - row max): 2^n * 2^f with n = round(x log2 e), |f| <= 1/2, 2^f by its Taylor
// polynomial to degree 6 (relative error ~1e-7, far below the bf16 rounding of the result).
SDXL_AVX512 inline __m512 exp_nonpositive(__m512 x) {
  x = _mm512_max_ps(x, _mm512_set1_ps(-87.0f));  // keeps 2^n a normal float (e^-87 ~ 1.6e-38)
  const __m512 t = _mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f));
  const __m512 n = _mm512_roundscale_ps(t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  const __m512 f = _mm512_sub_ps(t, n);
  __m512 p = _mm512_set1_ps(1.5403530393381606e-4f);  // ln2^k / k!, k = 6..0
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.3333558146428443e-3f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(9.6181291076284772e-3f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(5.5504108664821580e-2f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(2.4022650695910071e-1f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(6.9314718055994531e-1f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.0f));
  return _mm512_scalef_ps(p, n);
}

SDXL_AVX512 inline __m512 load_bf16(const uint16_t* p) {
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i*)p)), 16));
}

// Round to nearest even, as c10::BFloat16's conversion (the values here are finite and non-negative).
SDXL_AVX512 inline void store_bf16(uint16_t* p, __m512 v) {
  __m512i b = _mm512_castps_si512(v);
  const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(b, 16), _mm512_set1_epi32(1));
  b = _mm512_add_epi32(b, _mm512_add_epi32(lsb, _mm512_set1_epi32(0x7FFF)));
  _mm256_storeu_si256((__m256i*)p, _mm512_cvtepi32_epi16(_mm512_srli_epi32(b, 16)));
}

float bf16_to_float(uint16_t x) {
  const uint32_t u = uint32_t(x) << 16;
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

// softmax(scale * row) of each of `rows` rows of n bf16 scores (row stride ld), in place: max, then exp
// and sum into the fp32 row buffer `e` (n floats), then e / sum rounded to bf16. exp(scale * (s - max)) =
// exp(scale * s - scale * max) for scale > 0.
SDXL_AVX512 void softmax_rows_bf16(uint16_t* s, int64_t rows, int64_t n, int64_t ld, float scale, float* e) {
  const int64_t nv = n / 16 * 16;
  const __m512 vscale = _mm512_set1_ps(scale);
  for (int64_t r = 0; r < rows; ++r) {
    uint16_t* row = s + r * ld;
    __m512 vmax = _mm512_set1_ps(-std::numeric_limits<float>::infinity());
    for (int64_t j = 0; j < nv; j += 16) vmax = _mm512_max_ps(vmax, load_bf16(row + j));
    float max = _mm512_reduce_max_ps(vmax);
    for (int64_t j = nv; j < n; ++j) max = std::max(max, bf16_to_float(row[j]));
    const __m512 vm = _mm512_set1_ps(max);
    __m512 vsum = _mm512_setzero_ps();
    for (int64_t j = 0; j < nv; j += 16) {
      const __m512 x = exp_nonpositive(_mm512_mul_ps(_mm512_sub_ps(load_bf16(row + j), vm), vscale));
      vsum = _mm512_add_ps(vsum, x);
      _mm512_storeu_ps(e + j, x);
    }
    float sum = _mm512_reduce_add_ps(vsum);
    for (int64_t j = nv; j < n; ++j) sum += e[j] = std::exp((bf16_to_float(row[j]) - max) * scale);
    const float inv = 1.0f / sum;
    const __m512 vinv = _mm512_set1_ps(inv);
    for (int64_t j = 0; j < nv; j += 16) store_bf16(row + j, _mm512_mul_ps(_mm512_loadu_ps(e + j), vinv));
    for (int64_t j = nv; j < n; ++j) row[j] = c10::BFloat16(e[j] * inv).x;
  }
}

#undef SDXL_AVX512
}  // namespace
#endif

bool blocked_attention_supported() {
#ifdef SDXL_BLOCKED_ATTENTION
  static const bool has = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
  return has;
#else
  return false;
#endif
}

bool blocked_attention_applies(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v) {
  for (const at::Tensor* t : {&q, &k, &v})
    if (!t->device().is_cpu() || t->scalar_type() != at::kBFloat16 || t->dim() != 3 || t->requires_grad()) return false;
  return k.size(1) >= kMinKeys && at::globalContext().userEnabledMkldnn() && blocked_attention_supported();
}

at::Tensor blocked_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, int64_t heads) {
#ifdef SDXL_BLOCKED_ATTENTION
  const int64_t batch = q.size(0), nq = q.size(1), nk = k.size(1), width = q.size(2), d = width / heads;
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));  // SDPA's default, as in diffusers
  const int64_t rows = std::min(kBlockRows, nq);
  at::Tensor out = at::empty({batch, nq, width}, q.options());
  at::Tensor scores = at::empty({heads * rows * nk}, q.options()), o = at::empty({heads * rows * d}, q.options());
  std::vector<std::vector<float>> row_buffers(static_cast<size_t>(at::get_num_threads()));
  auto heads_first = [&](const at::Tensor& t) { return t.reshape({t.size(0), heads, d}).transpose(0, 1).contiguous(); };
  for (int64_t b = 0; b < batch; ++b) {
    const at::Tensor qh = heads_first(q[b]), kh = heads_first(k[b]), vh = heads_first(v[b]);  // [heads, N, d]
    for (int64_t i = 0; i < nq; i += rows) {
      const int64_t n = std::min(rows, nq - i);
      at::Tensor s = scores.narrow(0, 0, heads * n * nk).view({heads, n, nk});
      at::Tensor ob = o.narrow(0, 0, heads * n * d).view({heads, n, d});
      at::bmm_out(s, qh.narrow(1, i, n), kh.transpose(1, 2));  // oneDNN, all threads on all heads at once
      auto* p = reinterpret_cast<uint16_t*>(s.data_ptr());
      at::parallel_for(0, heads * n, 16, [&](int64_t r0, int64_t r1) {
        std::vector<float>& e = row_buffers[static_cast<size_t>(at::get_thread_num())];
        e.resize(static_cast<size_t>(nk));
        softmax_rows_bf16(p + r0 * nk, r1 - r0, nk, nk, scale, e.data());
      });
      at::bmm_out(ob, s, vh);
      out[b].narrow(0, i, n).view({n, heads, d}).copy_(ob.transpose(0, 1));
    }
  }
  return out;
#else
  (void)q, (void)k, (void)v, (void)heads;
  throw Error(ErrorCategory::Generation, "", "blocked attention is not built for this CPU");
#endif
}

}  // namespace sdxl

#undef SDXL_BLOCKED_ATTENTION
