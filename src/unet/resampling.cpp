#include "unet/resampling.h"

namespace sdxl {

Downsample2DImpl::Downsample2DImpl(int64_t channels, int64_t padding, const at::TensorOptions& options)
    : padding_(padding) {
  conv = register_module("conv", Conv2d(channels, channels, 3, 2, padding, options));
}

at::Tensor Downsample2DImpl::forward(const at::Tensor& x) {
  return conv(padding_ == 0 ? at::constant_pad_nd(x, {0, 1, 0, 1}) : x);
}

Upsample2DImpl::Upsample2DImpl(int64_t channels, const at::TensorOptions& options) {
  conv = register_module("conv", Conv2d(channels, channels, 3, 1, 1, options));
}

at::Tensor Upsample2DImpl::forward(const at::Tensor& x, at::IntArrayRef size) {
  return conv(at::upsample_nearest2d(x, size, std::nullopt, std::nullopt));
}

}  // namespace sdxl
