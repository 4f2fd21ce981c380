// --reproducible: the same PNG bytes for the same request at any thread count, and on any x86-64 CPU with
// AVX2 (AVX-512 or not), by pinning every CPU code path whose rounding depends on either (measured with
// scripts/repro_kernels.py; docs/reproducibility.md has the table):
//  - oneDNN is switched off (its fp32 1x1 convolution splits the input-channel sum across threads, and its
//    kernels differ by ISA): convolutions run as ATen's im2col + GEMM, linear layers as MKL GEMM;
//  - MKL's conditional numerical reproducibility, MKL_CBWR=AVX2,STRICT: the AVX2 code path on every CPU, and
//    GEMM results independent of the thread count;
//  - ATEN_CPU_CAPABILITY=avx2: ATen's own vectorised kernels (softmax, attention, norms) use their AVX2 build
//    on AVX-512 CPUs too; ONEDNN_MAX_CPU_ISA=AVX2 caps anything that still reaches oneDNN;
//  - bf16 (only when asked for explicitly): linear layers and convolutions compute in fp32 on the upcast bf16
//    values through the two fp32 paths above and round the result to bf16 (common/layers.h). oneDNN's bf16
//    kernels are not an option: capped at AVX2 they are 10-200x slower, and oneDNN documents bit-identical
//    results only for an identical platform and environment, where MKL's strict CNR covers any thread count.
// The three variables are read when those libraries start, so a front end sets them before the process runs
// any tensor code (the CLI re-executes itself); the pipeline refuses to run reproducibly without them.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace sdxl {

// The environment variables and values the mode needs.
const std::vector<std::pair<std::string, std::string>>& reproducible_environment();

// Names of the variables from reproducible_environment() missing or set otherwise in this process.
std::vector<std::string> reproducible_environment_missing();

// Switches oneDNN off for this process (libtorch's global context). Throws sdxl::Error (usage) when the
// environment is not in place or `device` is not the CPU.
void enter_reproducible_mode(const std::string& device_type);

// What the PNG records about the mode: {"mkl_cbwr": ..., "aten_cpu_capability": ..., "onednn": "off"}.
nlohmann::json reproducible_record();

}  // namespace sdxl
