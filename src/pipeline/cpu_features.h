// Native bfloat16 arithmetic on this CPU, from cpuid: AVX-512 BF16 (VDPBF16PS, CPUID.(7,1):EAX[5]) with the
// OS saving the AVX-512 state, or AMX-BF16 (CPUID.(7,0):EDX[22]) with the OS enabling the tile state. Where
// neither is there, oneDNN emulates bf16 and it is slower than fp32, so `--dtype auto` stays fp32.
#pragma once
#include <string>

namespace sdxl {

struct CpuBf16 {
  bool avx512_bf16 = false, amx_bf16 = false;
  bool native() const { return avx512_bf16 || amx_bf16; }
  std::string describe() const;  // "AVX-512 BF16 + AMX-BF16", "AVX-512 BF16", "AMX-BF16" or "no native BF16"
};

CpuBf16 detect_cpu_bf16();

}  // namespace sdxl
