// The tiny fixture VAE (tests/fixtures/tiny-sdxl/vae), loaded once per test binary in float32 on the CPU.
#pragma once
#include "test_util.h"
#include "vae/autoencoder.h"

namespace sdxl::test {

inline AutoencoderKL tiny_vae() {
  static AutoencoderKL vae = load_autoencoder_kl(fixture("tiny-sdxl/vae"), at::kFloat, at::kCPU);
  return vae;
}

inline const std::map<std::string, at::Tensor>& model_golden() {
  static const auto golden = load_golden("model_golden.safetensors");
  return golden;
}

}  // namespace sdxl::test
