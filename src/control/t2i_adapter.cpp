#include "control/t2i_adapter.h"

#include "common/config_reader.h"

namespace sdxl {

T2IAdapterConfig T2IAdapterConfig::from_json(const nlohmann::json& j, const std::string& what) {
  config::Reader r(j, what);
  r.expect("_class_name", {"T2IAdapter"});
  r.expect("adapter_type", {"full_adapter_xl"});
  T2IAdapterConfig c;
  c.in_channels = r.integer("in_channels", 3);
  if (r.has("channels")) c.channels = r.integers("channels");
  c.num_res_blocks = r.integer("num_res_blocks", 2);
  c.downscale_factor = r.integer("downscale_factor", 16);
  if (c.channels.size() != 4) r.fail("channels", "full_adapter_xl has four widths (three UNet levels and the mid block)");
  if (c.in_channels < 1 || c.num_res_blocks < 1 || c.downscale_factor < 1)
    r.fail("in_channels", "in_channels, num_res_blocks and downscale_factor must be positive");
  return c;
}

AdapterResnetBlockImpl::AdapterResnetBlockImpl(int64_t channels, const at::TensorOptions& options) {
  block1 = register_module("block1", Conv2d(channels, channels, 3, 1, 1, options));
  block2 = register_module("block2", Conv2d(channels, channels, 1, 1, 0, options));
}

at::Tensor AdapterResnetBlockImpl::forward(const at::Tensor& x) {
  at::Tensor h = block1(x);
  at::relu_(h);
  return block2(h) + x;
}

AdapterBlockImpl::AdapterBlockImpl(int64_t in_channels, int64_t out_channels, int64_t num_res_blocks, bool down_,
                                   const at::TensorOptions& options)
    : down(down_) {
  if (in_channels != out_channels) in_conv = register_module("in_conv", Conv2d(in_channels, out_channels, 1, 1, 0, options));
  auto list = register_module("resnets", torch::nn::ModuleList());
  for (int64_t i = 0; i < num_res_blocks; ++i) {
    resnets.emplace_back(out_channels, options);
    list->push_back(resnets.back());
  }
}

at::Tensor AdapterBlockImpl::forward(at::Tensor x) {
  if (down) x = at::avg_pool2d(x, {2, 2}, {2, 2}, {0, 0}, /*ceil_mode=*/true);
  if (in_conv) x = in_conv(x);
  for (auto& r : resnets) x = r(x);
  return x;
}

FullAdapterXLImpl::FullAdapterXLImpl(const T2IAdapterConfig& c, const at::TensorOptions& options)
    : downscale_factor(c.downscale_factor) {
  const auto& ch = c.channels;
  conv_in = register_module("conv_in", Conv2d(c.in_channels * c.downscale_factor * c.downscale_factor, ch[0], 3, 1, 1, options));
  auto list = register_module("body", torch::nn::ModuleList());
  // diffusers FullAdapterXL: block 1 widens without pooling, block 2 pools and widens, 0 and 3 keep their width.
  for (size_t i = 0; i < ch.size(); ++i) {
    const int64_t in = i == 1 || i == 2 ? ch[i - 1] : ch[i];
    body.emplace_back(in, ch[i], c.num_res_blocks, /*down=*/i == 2, options);
    list->push_back(body.back());
  }
}

std::vector<at::Tensor> FullAdapterXLImpl::forward(const at::Tensor& image) {
  at::Tensor x = conv_in(at::pixel_unshuffle(image, downscale_factor));
  std::vector<at::Tensor> features;
  for (auto& block : body) {
    x = block(x);
    features.push_back(x);
  }
  return features;
}

T2IAdapterModelImpl::T2IAdapterModelImpl(const T2IAdapterConfig& config, const at::TensorOptions& options) {
  adapter = register_module("adapter", FullAdapterXL(config, options));
}

}  // namespace sdxl
