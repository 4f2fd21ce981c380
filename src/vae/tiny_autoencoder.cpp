#include "vae/tiny_autoencoder.h"

#include "common/cancellation.h"
#include <algorithm>

#include "common/error.h"
#include "common/strings.h"
#include "common/config_reader.h"

namespace sdxl {
namespace {

// Sequential index of a "<prefix><index>.<rest>" name, or -1.
int64_t layer_index(const std::string& name, const std::string& prefix) {
  if (!starts_with(name, prefix)) return -1;
  size_t i = prefix.size(), j = i;
  while (j < name.size() && name[j] >= '0' && name[j] <= '9') ++j;
  if (j == i || j >= name.size() || name[j] != '.') return -1;
  return std::stoll(name.substr(i, j - i));
}

// The Sequential's entries in index order: true for a block (has conv.0), false for a plain conv.
std::map<int64_t, bool> entries(const StateDict& tensors, const std::string& prefix) {
  std::map<int64_t, bool> out;
  for (const auto& [name, t] : tensors) {
    const int64_t i = layer_index(name, prefix);
    if (i < 0) continue;
    const bool block = name.find(".conv.0.weight") != std::string::npos;
    out[i] = out.count(i) ? (out[i] || block) : block;
  }
  return out;
}

}  // namespace

TinyAutoencoderConfig TinyAutoencoderConfig::from_json(const nlohmann::json& j, const std::string& what) {
  const config::Reader r(j, what);
  TinyAutoencoderConfig c;
  if (r.string("act_fn", "relu") != "relu")
    r.fail("act_fn", "must be \"relu\" (the only activation sdxl-gen implements for AutoencoderTiny)");
  c.in_channels = r.integer("in_channels", c.in_channels);
  c.out_channels = r.integer("out_channels", c.out_channels);
  c.latent_channels = r.integer("latent_channels", c.latent_channels);
  auto list_or = [&](const char* key, std::vector<int64_t> fallback) {
    return r.has(key) ? r.integers(key) : fallback;
  };
  c.encoder_block_out_channels = list_or("encoder_block_out_channels", c.encoder_block_out_channels);
  c.decoder_block_out_channels = list_or("decoder_block_out_channels", c.decoder_block_out_channels);
  c.num_encoder_blocks = list_or("num_encoder_blocks", c.num_encoder_blocks);
  c.num_decoder_blocks = list_or("num_decoder_blocks", c.num_decoder_blocks);
  c.upsampling_scaling_factor = r.integer("upsampling_scaling_factor", c.upsampling_scaling_factor);
  c.scaling_factor = r.number("scaling_factor", c.scaling_factor);
  if (c.encoder_block_out_channels.size() != c.num_encoder_blocks.size() ||
      c.decoder_block_out_channels.size() != c.num_decoder_blocks.size() || c.num_encoder_blocks.empty() ||
      c.num_decoder_blocks.empty())
    throw Error(ErrorCategory::Input, "", what + ": block_out_channels and num_*_blocks must have the same, non-zero length");
  return c;
}

TinyAutoencoderConfig TinyAutoencoderConfig::infer(const StateDict& tensors, const std::string& what) {
  TinyAutoencoderConfig c;
  auto weight = [&](const std::string& name) -> const at::Tensor& {
    auto it = tensors.find(name);
    if (it == tensors.end()) throw Error(ErrorCategory::Input, "", what + ": not an AutoencoderTiny: missing tensor " + name);
    return it->second;
  };
  // Encoder: conv (stride 1, then stride 2), blocks..., conv, blocks..., final conv to the latent channels.
  const auto enc = entries(tensors, "encoder.layers.");
  if (!enc.empty()) {
    c.encoder_block_out_channels.clear();
    c.num_encoder_blocks.clear();
    for (const auto& [i, block] : enc) {
      const at::Tensor& w = weight("encoder.layers." + std::to_string(i) + (block ? ".conv.0.weight" : ".weight"));
      if (block) {
        if (c.num_encoder_blocks.empty()) throw Error(ErrorCategory::Input, "", what + ": AutoencoderTiny encoder starts with a block");
        ++c.num_encoder_blocks.back();
      } else if (i != enc.rbegin()->first) {
        c.encoder_block_out_channels.push_back(w.size(0));
        c.num_encoder_blocks.push_back(0);
        if (i == enc.begin()->first) c.in_channels = w.size(1);
      } else {
        c.latent_channels = w.size(0);
      }
    }
  }
  // Decoder: conv, relu, then per level blocks..., [upsample], conv (the last one to the image channels).
  const auto dec = entries(tensors, "decoder.layers.");
  if (dec.empty()) throw Error(ErrorCategory::Input, "", what + ": not an AutoencoderTiny: no decoder.layers.* tensors");
  c.decoder_block_out_channels.clear();
  c.num_decoder_blocks.clear();
  int64_t blocks = 0;
  for (const auto& [i, block] : dec) {
    const at::Tensor& w = weight("decoder.layers." + std::to_string(i) + (block ? ".conv.0.weight" : ".weight"));
    if (i == dec.begin()->first) {
      c.latent_channels = w.size(1);
      continue;
    }
    if (block) {
      if (blocks == 0) c.decoder_block_out_channels.push_back(w.size(0));
      ++blocks;
    } else {
      if (blocks == 0) throw Error(ErrorCategory::Input, "", what + ": AutoencoderTiny decoder level without blocks");
      c.num_decoder_blocks.push_back(blocks);
      blocks = 0;
      if (i == dec.rbegin()->first) c.out_channels = w.size(0);
    }
  }
  if (enc.empty()) c.encoder_block_out_channels = c.decoder_block_out_channels;  // unused without an encoder
  if (c.decoder_block_out_channels.size() != c.num_decoder_blocks.size())
    throw Error(ErrorCategory::Input, "", what + ": AutoencoderTiny decoder does not end with a convolution");
  return c;
}

TinyBlockImpl::TinyBlockImpl(int64_t in, int64_t out, const at::TensorOptions& options) {
  auto conv = std::make_shared<torch::nn::Module>();
  conv0 = conv->register_module("0", Conv2d(in, out, 3, 1, 1, options));
  conv2 = conv->register_module("2", Conv2d(out, out, 3, 1, 1, options));
  conv4 = conv->register_module("4", Conv2d(out, out, 3, 1, 1, options));
  register_module("conv", conv);
  if (in != out) skip = register_module("skip", Conv2d(in, out, 1, 1, 0, options, /*with_bias=*/false));
}

at::Tensor TinyBlockImpl::forward(const at::Tensor& x) {
  at::Tensor h = conv4(at::relu(conv2(at::relu(conv0(x)))));
  return at::relu(h + (skip ? skip(x) : x));
}

void TinyCoderImpl::add(Op op, std::shared_ptr<torch::nn::Module> module) {
  if (module) layers_->register_module(std::to_string(ops_.size()), module);
  ops_.push_back({op, std::move(module)});
}

TinyCoderImpl::TinyCoderImpl(const TinyAutoencoderConfig& c, bool decoder, const at::TensorOptions& options)
    : layers_(std::make_shared<torch::nn::Module>()), decoder_(decoder), upsample_(c.upsampling_scaling_factor) {
  auto conv = [&](int64_t in, int64_t out, int64_t stride, bool bias) {
    return Conv2d(in, out, 3, stride, 1, options, bias).ptr();
  };
  if (!decoder) {
    // diffusers EncoderTiny: level 0 a conv from the image, later levels a bias-free stride-2 conv; then blocks.
    const auto& ch = c.encoder_block_out_channels;
    for (size_t i = 0; i < ch.size(); ++i) {
      add(Op::Conv, i == 0 ? conv(c.in_channels, ch[0], 1, true) : conv(ch[i], ch[i], 2, false));
      for (int64_t b = 0; b < c.num_encoder_blocks[i]; ++b) add(Op::Block, TinyBlock(ch[i], ch[i], options).ptr());
    }
    add(Op::Conv, conv(ch.back(), c.latent_channels, 1, true));
  } else {
    // diffusers DecoderTiny: conv + relu, then per level blocks, upsample and a bias-free conv (the last level:
    // no upsample, a conv with bias to the image channels).
    const auto& ch = c.decoder_block_out_channels;
    add(Op::Conv, conv(c.latent_channels, ch[0], 1, true));
    add(Op::Relu);
    for (size_t i = 0; i < ch.size(); ++i) {
      const bool last = i + 1 == ch.size();
      for (int64_t b = 0; b < c.num_decoder_blocks[i]; ++b) add(Op::Block, TinyBlock(ch[i], ch[i], options).ptr());
      if (!last) add(Op::Upsample);
      add(Op::Conv, conv(ch[i], last ? c.out_channels : ch[i], 1, last));
    }
  }
  register_module("layers", layers_);
}

at::Tensor TinyCoderImpl::forward(at::Tensor x) {
  for (const Layer& l : ops_) {
    cancellation_point();  // a large image's layer can take seconds
    switch (l.op) {
      case Op::Conv: x = std::static_pointer_cast<Conv2dImpl>(l.module)->forward(x); break;
      case Op::Block: x = std::static_pointer_cast<TinyBlockImpl>(l.module)->forward(x); break;
      case Op::Relu: x = at::relu(x); break;
      case Op::Upsample: x = at::upsample_nearest2d(x, {x.size(2) * upsample_, x.size(3) * upsample_}); break;
    }
  }
  return x;
}

AutoencoderTinyImpl::AutoencoderTinyImpl(const TinyAutoencoderConfig& config, const at::TensorOptions& options,
                                         bool with_encoder)
    : config_(config) {
  if (with_encoder) encoder = register_module("encoder", TinyCoder(config, false, options));
  decoder = register_module("decoder", TinyCoder(config, true, options));
}

at::ScalarType AutoencoderTinyImpl::dtype() const { return parameters().front().scalar_type(); }
at::Device AutoencoderTinyImpl::device() const { return parameters().front().device(); }

at::Tensor AutoencoderTinyImpl::decode(const at::Tensor& latents) {
  at::Tensor z = latents.to(device(), dtype()) / config_.scaling_factor;
  z = at::tanh(z / 3) * 3;  // DecoderTiny's input clamp
  return (decoder(z) * 2 - 1).to(at::kFloat);
}

at::Tensor AutoencoderTinyImpl::encode(const at::Tensor& image) {
  if (!has_encoder()) throw Error(ErrorCategory::Input, "", "the tiny autoencoder was loaded without its encoder (taesdxl_encoder.safetensors)");
  const at::Tensor x = image.to(device(), dtype());
  return (encoder((x + 1) / 2) * config_.scaling_factor).to(at::kFloat);
}

StateDict taesd_to_diffusers(const StateDict& tensors, const std::string& what) {
  // The encoder's first conv (index 0) reads the image; the decoder's index 0 is its clamp, index 1 a conv.
  const bool encoder = tensors.count("0.weight") > 0;
  if (!encoder && tensors.count("1.weight") == 0)
    throw Error(ErrorCategory::Input, "", what + ": not a TAESD encoder or decoder file (no 0.weight or 1.weight)");
  StateDict out;
  for (const auto& [name, t] : tensors) {
    const int64_t i = layer_index(name, "");
    if (i < 0) throw Error(ErrorCategory::Input, "", what + ": unexpected tensor name '" + name + "' in a TAESD file");
    const std::string rest = name.substr(name.find('.'));
    out[(encoder ? "encoder.layers." + std::to_string(i) : "decoder.layers." + std::to_string(i - 1)) + rest] = t;
  }
  return out;
}

}  // namespace sdxl
