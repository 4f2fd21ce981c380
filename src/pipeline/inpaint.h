// Inpainting as diffusers 0.27.2 StableDiffusionXLInpaintPipeline runs it, for both UNet kinds (detected from
// conv_in's input channels): 4 channels (every base and fine-tune) blends after each step, keeping the
// unmasked region at the init latents noised to the next timestep; 9 channels (inpainting checkpoints) feeds
// latents || mask || masked-image latents to the UNet and does no blending.
#pragma once
#include <ATen/ATen.h>

#include "pipeline/denoise.h"
#include "pipeline/masked_content.h"
#include "sampling/noise.h"
#include "sampling/sampler.h"
#include "vae/autoencoder.h"

namespace sdxl {

// An init image's latents as diffusers' img2img and inpaint pipelines make them (_encode_vae_image): the VAE
// posterior's sample (its noise drawn here from `noise`), scaled to pipeline space, in `out`'s device/dtype.
at::Tensor encode_init_image(AutoencoderKL& vae, const at::Tensor& image, NoiseSource& noise,
                             const at::TensorOptions& out);

struct InpaintInputs {
  at::Tensor image;   // float32 [B,3,H,W] in [-1,1] (the init image, repeated per image of the batch; filled
                      // already for MaskedContent::Fill, pipeline/masked_content.h)
  at::Tensor binary;  // float32 [1,1,H,W], 1 = repaint (inpaint_mask.h binarize_mask)
  MaskedContent content = MaskedContent::Original;
  at::Tensor luminance;  // uint8 [H,W], the mask after --mask-blur (the latent modes' latent mask comes from it)
};

class Inpainting {
 public:
  // The reference's prepare_latents + prepare_mask_latents, with its random draws in its order: the init
  // image's posterior sample (skipped by a 9-channel UNet at strength 1), the initial noise, the masked
  // image's posterior sample (drawn for a 4-channel UNet too, which does not use it, so later draws line up).
  // With MaskedContent::LatentNoise one more draw, the latent noise, comes between the initial noise and the
  // masked image's sample (so every masked-content mode starts from the same initial noise).
  // `strength_is_max`: strength == 1, start from pure noise * init_noise_sigma instead of the noised image.
  Inpainting(const InpaintInputs& in, int64_t unet_in_channels, AutoencoderKL& vae, const Sampler& sampler,
             NoiseSource& noise, const at::TensorOptions& latent_options, bool strength_is_max);

  static bool is_nine_channel(int64_t unet_in_channels);
  const at::Tensor& start_latents() const { return start_; }
  // Installs the per-step hooks into `options` (the sampler must outlive the denoise call).
  void install(DenoiseOptions& options, const Sampler& sampler, bool cfg) const;

 private:
  bool nine_channel_;
  at::Tensor start_, image_latents_, noise_, mask_, masked_image_latents_;
};

}  // namespace sdxl

#include <optional>

#include "io/png.h"
#include "pipeline/inpaint_full_res.h"
#include "sdxl/request.h"

namespace sdxl {

// --inpaint-full-res: the whole init image, its (blurred) mask luminance and the box that is inpainted.
struct FullResCrop {
  io::Image image;
  at::Tensor luminance;
  CropBox box;
};

// The init image and mask of an inpainting request, read and checked: same size as each other and as the
// request, --mask-blur applied to the mask's luminance; with --outpaint, the extended canvas and its mask
// (pipeline/outpaint.h; the request's size is then the canvas's); with --inpaint-full-res, the padded box
// around the mask resized to the request's size (pipeline/inpaint_full_res.h). An all-black mask (nothing to
// repaint) throws.
struct MaskedImage {
  io::Image image;
  at::Tensor luminance;  // uint8 [H,W] after the blur
  at::Tensor binary;     // float32 [1,1,H,W]
  bool all_white = false;  // nothing to keep: the caller runs plain img2img
  std::optional<FullResCrop> full_res;  // then image/luminance/binary are the box resized to the request's size
};
// --inpaint-full-res: each generated image [B,h,w,3] (uint8) resized back to the box (the web UI's "crop and
// resize", io/webui_resize.h) and pasted
// into the whole image; with keep_unmasked the original pixels go back under the web UI's overlay for this
// mode (the blurred mask itself as the weight). Returns uint8 [B,H,W,3].
at::Tensor paste_full_res(const at::Tensor& images, const FullResCrop& crop, bool keep_unmasked);
MaskedImage load_masked_image(const GenerationRequest& r);

}  // namespace sdxl
