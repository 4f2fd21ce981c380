// Inpainting masks: from a PNG of any colour type to what the pipeline uses (white = repaint, black = keep).
// Luminance as Pillow's convert("L") (diffusers' mask processor converts to "L"), the web UIs' Gaussian mask
// blur (AUTOMATIC1111 processing.py, OpenCV's 8-bit GaussianBlur), diffusers' binarisation at 0.5 and its
// nearest-neighbour downsampling to latent size, and the overlay that pastes original pixels back.
#pragma once
#include <ATen/ATen.h>

#include "io/png.h"

namespace sdxl {

// uint8 [H,W]: (R*19595 + G*38470 + B*7471 + 2^15) >> 16, Pillow's ITU-R 601-2 luma in 16-bit fixed point.
at::Tensor mask_luminance(const io::Image& mask);

// AUTOMATIC1111's --mask-blur N (N >= 1): a horizontal then a vertical cv2.GaussianBlur of sigma N with
// 2*int(2.5*N + 0.5) + 1 taps, each rounded to 8 bits, BORDER_REFLECT_101, computed by OpenCV itself.
// Input and output uint8 [H,W].
at::Tensor blur_mask(const at::Tensor& luminance, int n);

// The repaint mask of diffusers' VaeImageProcessor(do_binarize=True): float32 [1,1,H,W], 1 where
// value/255 >= 0.5 (value >= 128), else 0.
at::Tensor binarize_mask(const at::Tensor& luminance);

// prepare_mask_latents: F.interpolate(mask, size=(h, w)) in its default "nearest" mode.
at::Tensor latent_mask(const at::Tensor& binary, int64_t h, int64_t w);

// --keep-unmasked: the web UI's overlay weight of the generated pixels, min(255, 2 * mask) (processing.py
// doubles the blurred mask, so only pixels the blur left at 0 keep their original value), and the paste:
// round((gen * a + orig * (255 - a)) / 255) in integers, so a = 0 gives the original pixel bit for bit.
at::Tensor overlay_alpha(const at::Tensor& luminance);
at::Tensor paste_unmasked(const at::Tensor& generated, const at::Tensor& original, const at::Tensor& alpha);

}  // namespace sdxl
