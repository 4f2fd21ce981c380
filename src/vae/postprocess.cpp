#include "vae/postprocess.h"

#include <sstream>

#include "common/error.h"

namespace sdxl {

at::Tensor image_to_uint8(const at::Tensor& image) {
  if (image.dim() != 4 || image.size(1) != 3) {
    std::ostringstream o;
    o << "image_to_uint8: expected an image [B,3,H,W], got " << image.sizes();
    throw Error(ErrorCategory::Input, "", o.str());
  }
  // Same operation order as diffusers (denormalize, then numpy_to_pil: *255 then round).
  at::Tensor x = (image.to(at::kFloat) / 2 + 0.5).clamp(0, 1);
  x = at::round(x.permute({0, 2, 3, 1}) * 255);
  return x.to(at::kByte).cpu().contiguous();
}

at::Tensor uint8_to_image(const at::Tensor& pixels) {
  at::Tensor p = pixels.dim() == 3 ? pixels.unsqueeze(0) : pixels;
  if (p.scalar_type() != at::kByte || p.dim() != 4 || p.size(3) != 3) {
    std::ostringstream o;
    o << "uint8_to_image: expected uint8 RGB [H,W,3] or [B,H,W,3], got " << c10::toString(pixels.scalar_type()) << " "
      << pixels.sizes();
    throw Error(ErrorCategory::Input, "", o.str());
  }
  return (p.to(at::kFloat) / 255.0 * 2 - 1).permute({0, 3, 1, 2}).contiguous();
}

}  // namespace sdxl
