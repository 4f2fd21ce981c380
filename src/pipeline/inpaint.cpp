#include "pipeline/inpaint.h"

#include "common/error.h"
#include "io/webui_resize.h"
#include "pipeline/inpaint_mask.h"
#include "pipeline/input_image.h"
#include "pipeline/outpaint.h"

namespace sdxl {

at::Tensor encode_init_image(AutoencoderKL& vae, const at::Tensor& image, NoiseSource& noise,
                             const at::TensorOptions& out) {
  Posterior posterior = vae->encode(image.to(vae->device()));
  at::Tensor sample = posterior.sample(noise.randn(posterior.mean.sizes(), posterior.mean.options()));
  return vae->to_pipeline_space(sample).to(out);
}

bool Inpainting::is_nine_channel(int64_t unet_in_channels) {
  if (unet_in_channels != 4 && unet_in_channels != 9)
    throw Error(ErrorCategory::Input, "", "inpainting needs a UNet with 4 or 9 input channels, this one has " +
                std::to_string(unet_in_channels));
  return unet_in_channels == 9;
}

Inpainting::Inpainting(const InpaintInputs& in, int64_t unet_in_channels, AutoencoderKL& vae, const Sampler& sampler,
                       NoiseSource& noise, const at::TensorOptions& latent_options, bool strength_is_max)
    : nine_channel_(is_nine_channel(unet_in_channels)) {
  const int64_t B = in.image.size(0), H = in.image.size(2), W = in.image.size(3);
  const int64_t h = H / vae->config().downscale(), w = W / vae->config().downscale();
  // prepare_latents: a 4-channel UNet always needs the image latents (the blend target).
  if (!nine_channel_ || !strength_is_max) image_latents_ = encode_init_image(vae, in.image, noise, latent_options);
  noise_ = noise.randn({B, vae->config().latent_channels, h, w}, latent_options);
  if (image_latents_.defined() && in.content != MaskedContent::Original && in.content != MaskedContent::Fill)
    image_latents_ = apply_latent_content(image_latents_, in.content, webui_latent_mask(in.luminance, h, w), noise);
  start_ = strength_is_max ? noise_ * sampler.init_noise_sigma() : sampler.add_noise(image_latents_, noise_, 0);
  // prepare_mask_latents: the masked image is image * (mask < 0.5), encoded with the same generator.
  at::Tensor masked_image = in.image * (in.binary < 0.5).to(at::kFloat);
  if (nine_channel_) {
    masked_image_latents_ = encode_init_image(vae, masked_image, noise, latent_options);
  } else {
    noise.randn({B, vae->config().latent_channels, h, w});  // the reference's unused posterior draw
  }
  mask_ = latent_mask(in.binary, h, w).to(latent_options).expand({B, 1, h, w}).contiguous();
}

void Inpainting::install(DenoiseOptions& options, const Sampler& sampler, bool cfg) const {
  if (nine_channel_) {
    options.extra_input = at::cat({mask_, masked_image_latents_}, 1);
    if (cfg) options.extra_input = at::cat({options.extra_input, options.extra_input});
    return;
  }
  // After step i the kept region is the init latents at the noise level of step i + 1 (clean after the
  // last step): latents = (1 - mask) * init_noised + mask * latents.
  const Sampler* s = &sampler;
  at::Tensor image_latents = image_latents_, noise = noise_, mask = mask_;
  options.after_step = [s, image_latents, noise, mask](int i, int total, const at::Tensor& latents) {
    at::Tensor proper = i < total - 1 ? s->add_noise(image_latents, noise, i + 1) : image_latents;
    return (1 - mask) * proper + mask * latents;
  };
}

MaskedImage load_masked_image(const GenerationRequest& r) {
  MaskedImage m;
  m.image = read_input_image(r, *r.img2img.init_image);
  auto wh = [](int w, int h) { return std::to_string(w) + "x" + std::to_string(h); };
  io::Image mask;
  std::string mask_name, mask_field = "mask";
  if (r.inpaint.outpaint) {
    if (r.inpaint.mask) throw usage_error("outpaint", "makes its own mask: drop the mask " + *r.inpaint.mask);
    const OutpaintEdges& e = *r.inpaint.outpaint;
    OutpaintCanvas canvas = prepare_outpaint(m.image, io::Edges{e.left, e.top, e.right, e.bottom});
    m.image = std::move(canvas.image);
    mask = std::move(canvas.mask);
    mask_field = "outpaint";
    mask_name = "the outpaint mask";
    if (m.image.width % 8 || m.image.height % 8)
      throw usage_error("outpaint", to_string(e) + " makes a " + wh(m.image.width, m.image.height) +
                                        " canvas from the init image " + *r.img2img.init_image +
                                        ": both sides must be multiples of 8");
  } else {
    if (!r.inpaint.full_res && (m.image.width != r.sampling.size.width || m.image.height != r.sampling.size.height))
      throw usage_error("size", wh(r.sampling.size.width, r.sampling.size.height) + " differs from the init image " +
                                    *r.img2img.init_image + " (" + wh(m.image.width, m.image.height) +
                                    "; resize it or pass its size)");
    try {
      mask = read_input_image(r, *r.inpaint.mask);
    } catch (const Error& e) {
      throw input_error("mask", e.what());
    }
    mask_name = *r.inpaint.mask;
    if (mask.width != m.image.width || mask.height != m.image.height)
      throw input_error("mask", mask_name + " is " + wh(mask.width, mask.height) + " but the init image " +
                                    *r.img2img.init_image + " is " + wh(m.image.width, m.image.height) +
                                    " (they must be the same size)");
  }
  m.luminance = blur_mask(mask_luminance(mask), r.inpaint.mask_blur);
  m.binary = binarize_mask(m.luminance);
  const double repaint = m.binary.sum().item<double>();
  if (repaint == 0)
    throw input_error(mask_field, mask_name + " is all black" +
                                      (r.inpaint.mask_blur > 0 ? " after the mask blur" : "") +
                                      ": nothing to repaint, nothing to do");
  if (r.inpaint.full_res) {
    const CropBox box = expand_to_aspect(mask_crop_region(m.luminance, r.inpaint.padding), r.sampling.size.width,
                                         r.sampling.size.height, m.image.width, m.image.height);
    m.full_res = FullResCrop{m.image, m.luminance, box};
    // processing.py: the box to the processing size by resize_image mode 2 ("resize and fill": the box's
    // whole pixels may leave its aspect slightly off the output's), image and mask alike.
    m.image = io::webui_resize(crop(m.image, box), r.sampling.size.width, r.sampling.size.height,
                               io::WebUiResize::ResizeAndFill);
    at::Tensor grey = m.luminance.unsqueeze(-1).expand({-1, -1, 3}).contiguous();
    io::Image mask_box = io::webui_resize(crop(io::from_tensor(grey), box), r.sampling.size.width,
                                          r.sampling.size.height, io::WebUiResize::ResizeAndFill);
    m.luminance = io::to_tensor(mask_box).select(2, 0).contiguous();
    m.binary = binarize_mask(m.luminance);
    if (m.binary.sum().item<double>() == 0)
      throw input_error(mask_field, mask_name + ": nothing left to repaint after the inpaint_full_res crop was "
                                                "resized to the output size; nothing to do");
  }
  m.all_white = m.binary.sum().item<double>() == static_cast<double>(m.binary.numel());
  return m;
}

at::Tensor paste_full_res(const at::Tensor& images, const FullResCrop& c, bool keep_unmasked) {
  std::vector<at::Tensor> out;
  for (int64_t i = 0; i < images.size(0); ++i) {
    // processing.py apply_overlay/uncrop: back to the box by resize_image mode 1 ("crop and resize").
    io::Image back =
        io::webui_resize(io::from_tensor(images[i]), c.box.width(), c.box.height(), io::WebUiResize::CropAndResize);
    out.push_back(io::to_tensor(paste(c.image, back, c.box)));
  }
  at::Tensor all = at::stack(out);
  return keep_unmasked ? paste_unmasked(all, io::to_tensor(c.image), c.luminance.to(at::kInt)) : all;
}

}  // namespace sdxl
