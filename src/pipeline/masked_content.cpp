#include "pipeline/masked_content.h"

#include "io/lanczos.h"
#include "io/pillow_rgba.h"

namespace sdxl {

io::Image fill_masked_area(const io::Image& image, const at::Tensor& luminance) {
  at::Tensor l = luminance.to(at::kByte).contiguous();
  std::vector<uint8_t> inverted(static_cast<size_t>(l.numel()));
  const uint8_t* m = l.data_ptr<uint8_t>();
  for (size_t i = 0; i < inverted.size(); ++i) inverted[i] = static_cast<uint8_t>(255 - m[i]);  // ImageOps.invert
  const io::RgbaImage masked = io::paste_through_mask(image, inverted);
  io::RgbaImage canvas{image.width, image.height, std::vector<uint8_t>(masked.rgba.size(), 0)};
  // masking.fill's schedule: wide blurs first for the far colours, then ever sharper ones on top.
  constexpr std::array<std::pair<float, int>, 6> kRadiusRepeats{{{256, 1}, {64, 1}, {16, 2}, {4, 4}, {2, 2}, {0, 1}}};
  for (const auto& [radius, repeats] : kRadiusRepeats) {
    const io::RgbaImage blurred = io::unpremultiply(io::gaussian_blur(masked, radius));
    for (int i = 0; i < repeats; ++i) io::alpha_composite(canvas, blurred);
  }
  return io::rgb_of(canvas);
}

at::Tensor webui_latent_mask(const at::Tensor& luminance, int64_t h, int64_t w) {
  at::Tensor grey = luminance.to(at::kByte).unsqueeze(-1).expand({-1, -1, 3}).contiguous();
  io::Image small = io::pillow_resize(io::from_tensor(grey), static_cast<int>(w), static_cast<int>(h),
                                      io::ResampleFilter::Bicubic);
  // np.around(v / 255): v / 255 is never exactly one half, so this is v >= 128.
  at::Tensor first = io::to_tensor(small).select(2, 0).to(at::kFloat) / 255.0;
  return at::round(first).view({1, 1, h, w});
}

at::Tensor apply_latent_content(const at::Tensor& image_latents, MaskedContent mode, const at::Tensor& latent_mask,
                                NoiseSource& noise) {
  if (mode != MaskedContent::LatentNoise && mode != MaskedContent::LatentNothing) return image_latents;
  const at::Tensor nmask = latent_mask.to(image_latents.options());
  const at::Tensor keep = image_latents * (1 - nmask);
  if (mode == MaskedContent::LatentNothing) return keep;
  return keep + noise.randn(image_latents.sizes(), image_latents.options()) * nmask;
}

}  // namespace sdxl
