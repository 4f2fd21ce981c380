// diffusers T2IAdapter (v0.27.2) with adapter_type "full_adapter_xl": pixel-unshuffle of the control image, conv_in,
// then four AdapterBlocks whose outputs are the features added inside the UNet's down blocks and after its mid
// block (unet/unet_extras.h intrablock_residuals). Parameter names = diffusers state-dict keys (adapter.*).
#pragma once
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include "common/layers.h"

namespace sdxl {

struct T2IAdapterConfig {
  int64_t in_channels = 3;
  std::vector<int64_t> channels{320, 640, 1280, 1280};
  int64_t num_res_blocks = 2;
  int64_t downscale_factor = 16;
  // A diffusers T2IAdapter config.json; adapter types other than full_adapter_xl throw sdxl::Error naming it.
  static T2IAdapterConfig from_json(const nlohmann::json& j, const std::string& what = "t2i adapter config");
};

// x + block2(relu(block1(x))): 3x3 then 1x1 convolution.
struct AdapterResnetBlockImpl : torch::nn::Module {
  AdapterResnetBlockImpl(int64_t channels, const at::TensorOptions& options);
  at::Tensor forward(const at::Tensor& x);
  Conv2d block1{nullptr}, block2{nullptr};
};
TORCH_MODULE(AdapterResnetBlock);

// Optional 2x2 average pool (ceil mode), optional 1x1 in_conv when the width changes, then the resnets.
struct AdapterBlockImpl : torch::nn::Module {
  AdapterBlockImpl(int64_t in_channels, int64_t out_channels, int64_t num_res_blocks, bool down,
                   const at::TensorOptions& options);
  at::Tensor forward(at::Tensor x);
  bool down;
  Conv2d in_conv{nullptr};
  std::vector<AdapterResnetBlock> resnets;
};
TORCH_MODULE(AdapterBlock);

struct FullAdapterXLImpl : torch::nn::Module {
  FullAdapterXLImpl(const T2IAdapterConfig& c, const at::TensorOptions& options);
  std::vector<at::Tensor> forward(const at::Tensor& x);
  int64_t downscale_factor;
  Conv2d conv_in{nullptr};
  std::vector<AdapterBlock> body;
};
TORCH_MODULE(FullAdapterXL);

struct T2IAdapterModelImpl : torch::nn::Module {
  explicit T2IAdapterModelImpl(const T2IAdapterConfig& config, const at::TensorOptions& options = {});
  // image [B, 3, H, W] in [0, 1] -> one feature map per UNet level plus one for the mid block.
  std::vector<at::Tensor> forward(const at::Tensor& image) { return adapter(image); }
  FullAdapterXL adapter{nullptr};
};
TORCH_MODULE(T2IAdapterModel);

}  // namespace sdxl
