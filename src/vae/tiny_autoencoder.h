// diffusers AutoencoderTiny (TAESD / TAESDXL by madebyollin): a convolution-only encoder and decoder of about
// 1.2M parameters each that share the SDXL VAE's latent space. Its scaling_factor is 1.0: it decodes the UNet's
// latents directly, and its encoder is deterministic (no posterior to sample).
#pragma once
#include <torch/torch.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/layers.h"
#include "weights/state_dict.h"

namespace sdxl {

struct TinyAutoencoderConfig {
  int64_t in_channels = 3, out_channels = 3, latent_channels = 4;
  std::vector<int64_t> encoder_block_out_channels{64, 64, 64, 64}, decoder_block_out_channels{64, 64, 64, 64};
  std::vector<int64_t> num_encoder_blocks{1, 3, 3, 3}, num_decoder_blocks{3, 3, 3, 1};
  int64_t upsampling_scaling_factor = 2;
  double scaling_factor = 1.0;
  // Pixels per latent along each side: every decoder level but the last upsamples (8 for TAESDXL).
  int64_t downscale() const {
    int64_t f = 1;
    for (size_t i = 1; i < decoder_block_out_channels.size(); ++i) f *= upsampling_scaling_factor;
    return f;
  }

  // diffusers config.json of an AutoencoderTiny (act_fn must be "relu"); throws sdxl::Error naming the key.
  static TinyAutoencoderConfig from_json(const nlohmann::json& j, const std::string& what);
  // Block counts and widths read off diffusers-named tensors (encoder.layers.* / decoder.layers.*), for files
  // without a config.json. Throws sdxl::Error when the layout is not AutoencoderTiny's.
  static TinyAutoencoderConfig infer(const StateDict& tensors, const std::string& what);
};

// AutoencoderTinyBlock: relu(conv.4(relu(conv.2(relu(conv.0(x))))) + skip(x)), skip a bias-free 1x1 conv when
// the widths differ (identity otherwise).
struct TinyBlockImpl : torch::nn::Module {
  TinyBlockImpl(int64_t in, int64_t out, const at::TensorOptions& options);
  at::Tensor forward(const at::Tensor& x);
  Conv2d conv0{nullptr}, conv2{nullptr}, conv4{nullptr}, skip{nullptr};
};
TORCH_MODULE(TinyBlock);

// One half (EncoderTiny or DecoderTiny): its `layers` Sequential, parameters named layers.<index>.* as in
// diffusers; activation and upsampling entries keep their indices but hold no parameters.
struct TinyCoderImpl : torch::nn::Module {
  TinyCoderImpl(const TinyAutoencoderConfig& c, bool decoder, const at::TensorOptions& options);
  at::Tensor forward(at::Tensor x);

 private:
  enum class Op { Conv, Block, Relu, Upsample };
  struct Layer {
    Op op;
    std::shared_ptr<torch::nn::Module> module;
  };
  void add(Op op, std::shared_ptr<torch::nn::Module> module = nullptr);
  std::shared_ptr<torch::nn::Module> layers_;  // container named "layers"
  std::vector<Layer> ops_;
  bool decoder_;
  int64_t upsample_;
};
TORCH_MODULE(TinyCoder);

struct AutoencoderTinyImpl : torch::nn::Module {
  // `with_encoder` false: a decoder-only file (taesdxl_decoder.safetensors alone), encode() then throws.
  AutoencoderTinyImpl(const TinyAutoencoderConfig& config, const at::TensorOptions& options, bool with_encoder = true);

  // Pipeline-space latents [B,4,h,w] -> image [B,3,8h,8w] float32 in about [-1,1] (diffusers: decoder(latents /
  // scaling_factor), which clamps its input with 3 tanh(x/3) and maps its [0,1] output to [-1,1]).
  at::Tensor decode(const at::Tensor& latents);
  // Image [B,3,H,W] in [-1,1] -> pipeline-space latents float32 (encoder(image) * scaling_factor).
  at::Tensor encode(const at::Tensor& image);
  bool has_encoder() const { return !encoder.is_empty(); }
  at::ScalarType dtype() const;
  at::Device device() const;

  TinyCoder encoder{nullptr}, decoder{nullptr};

 private:
  TinyAutoencoderConfig config_;
};
TORCH_MODULE(AutoencoderTiny);

// The single-file layout of madebyollin's taesdxl_encoder.safetensors / taesdxl_decoder.safetensors (a bare
// nn.Sequential: "<index>.*", the decoder's index 0 being its parameter-free input clamp) -> diffusers names
// ("encoder.layers.<index>.*", "decoder.layers.<index - 1>.*"). Which half it is comes from the first conv.
StateDict taesd_to_diffusers(const StateDict& tensors, const std::string& what);

}  // namespace sdxl
