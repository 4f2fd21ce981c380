#include "pipeline/cpu_features.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace sdxl {

std::string CpuBf16::describe() const {
  if (avx512_bf16 && amx_bf16) return "AVX-512 BF16 + AMX-BF16";
  if (avx512_bf16) return "AVX-512 BF16";
  if (amx_bf16) return "AMX-BF16";
  return "no native BF16";
}

CpuBf16 detect_cpu_bf16() {
  CpuBf16 out;
#if defined(__x86_64__) || defined(__i386__)
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 27))) return out;  // OSXSAVE: xgetbv is usable
  unsigned xcr0_lo = 0, xcr0_hi = 0;
  __asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
  const bool avx512_state = (xcr0_lo & 0xE6u) == 0xE6u;          // SSE, AVX, opmask, ZMM_Hi256, Hi16_ZMM
  const bool amx_state = (xcr0_lo & (3u << 17)) == (3u << 17);    // XTILECFG, XTILEDATA
  if (__get_cpuid_max(0, nullptr) < 7) return out;
  __cpuid_count(7, 0, a, b, c, d);
  const bool avx512f = b & (1u << 16);
  out.amx_bf16 = amx_state && (d & (1u << 22));
  __cpuid_count(7, 1, a, b, c, d);
  out.avx512_bf16 = avx512_state && avx512f && (a & (1u << 5));
#endif
  return out;
}

}  // namespace sdxl
