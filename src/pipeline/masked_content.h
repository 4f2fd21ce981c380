// What the masked area starts from (GenerationRequest::masked_content), as the web UI prepares it in
// StableDiffusionProcessingImg2Img.init (AUTOMATIC1111/stable-diffusion-webui modules/processing.py @
// 0027ce1f6e58c5f4279173e468a60aef420babfe, `inpainting_fill` 0..3), on top of diffusers' inpainting:
//  - fill (0): before it is encoded, the image's masked area is replaced by blurred colours of what surrounds
//    it (modules/masking.py fill @ 0cb7262c579648c3bb96037ac090c9854fcfe021), with the (blurred) mask;
//  - original (1): the image as is (diffusers' own behaviour, sdxl-gen's default);
//  - latent noise (2) / latent nothing (3): after it is encoded, the image latents under the web UI's latent mask
//    are replaced by standard normal noise / zeros: init = init * (1 - m) + noise * m, or init * (1 - m).
// The changed image (fill) or latents (the latent modes) are what Inpainting (pipeline/inpaint.h) noises into
// its start and blends the kept region back from, as diffusers does with its image latents.
#pragma once
#include <ATen/ATen.h>

#include <array>

#include "io/png.h"
#include "sampling/noise.h"
#include "sdxl/request.h"

namespace sdxl {

// The web UI's names for the modes: its "Masked content" radio buttons and infotext field (v1.8 and later
// write `Masked content: fill`, `latent noise` or `latent nothing`; nothing for `original`).
inline constexpr std::array<EnumName<MaskedContent>, 4> kMaskedContentWebUiNames{{
    {MaskedContent::Fill, "fill"},
    {MaskedContent::Original, "original"},
    {MaskedContent::LatentNoise, "latent noise"},
    {MaskedContent::LatentNothing, "latent nothing"}}};

// masking.fill: `image` pasted (premultiplied) through the inverted mask `luminance` (uint8 [H,W], the mask
// after --mask-blur: the web UI's latent_mask), Gaussian-blurred at radii 256, 64, 16, 4, 2, 0 and composited
// over a transparent canvas 1, 1, 2, 4, 2, 1 times each, in Pillow's 8-bit arithmetic (io/pillow_rgba.h).
// Where the mask is 0 the result is the image itself.
io::Image fill_masked_area(const io::Image& image, const at::Tensor& luminance);

// The web UI's latent mask: the mask as an RGB image resized to h x w with Pillow's default filter (bicubic),
// its first channel / 255 rounded to 0 or 1. float32 [1,1,h,w], 1 = masked.
at::Tensor webui_latent_mask(const at::Tensor& luminance, int64_t h, int64_t w);

// The latent modes on image latents [B,C,h,w] (other modes: returned unchanged, nothing drawn). Latent noise
// draws one randn([B,C,h,w]) from `noise`: the web UI draws it from a generator seeded with the image's seed
// (create_random_tensors); sdxl-gen draws it from the request's own generator, at the point the caller says.
at::Tensor apply_latent_content(const at::Tensor& image_latents, MaskedContent mode, const at::Tensor& latent_mask,
                                NoiseSource& noise);

}  // namespace sdxl
