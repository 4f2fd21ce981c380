#include "pipeline/denoise.h"

#include "pipeline/guidance.h"

namespace sdxl {

bool uses_cfg(double cfg) { return cfg > 1.0; }

at::Tensor denoise(UNet2DConditionModel& unet, Sampler& sampler, at::Tensor latents, const UNetConditioning& cond,
                   NoiseSource& noise, const DenoiseOptions& options) {
  const bool cfg = uses_cfg(options.cfg);
  const int total = sampler.schedule().size();
  for (int i = 0; i < total; ++i) {
    at::Tensor x_in = cfg ? at::cat({latents, latents}) : latents;
    x_in = sampler.scale_model_input(x_in, i);
    // The reference feeds the scheduler's timestep (float for the Euler family, integer otherwise); the
    // sinusoid embeds it in float32 either way.
    at::Tensor t = at::full({x_in.size(0)}, sampler.schedule().timestep(i), latents.options().dtype(at::kFloat));
    // Control residuals depend on the step's input; the image-prompt keys/values are the same every step.
    UNetExtras extras = options.unet_extras ? options.unet_extras(i, total, x_in, t) : UNetExtras{};
    extras.image_prompts = cond.image_prompts;
    if (options.extra_input.defined()) x_in = at::cat({x_in, options.extra_input}, 1);
    at::Tensor eps = unet->forward(x_in, t, cond.context, cond.pooled, cond.time_ids, nullptr,
                                   extras.empty() ? nullptr : &extras);
    if (cfg) {
      at::Tensor guided = apply_cfg(eps, options.cfg);
      if (options.guidance_rescale > 0)
        guided = rescale_cfg(guided, eps.chunk(2, 0)[1], options.guidance_rescale);
      eps = guided;
    }
    at::Tensor x0;
    latents = sampler.step(eps, i, latents, noise, options.on_denoised ? &x0 : nullptr);
    if (options.after_step) latents = options.after_step(i, total, latents);
    if (options.on_denoised) options.on_denoised(i + 1, total, x0);
    if (options.trajectory) options.trajectory->push_back(latents.to(at::kCPU, at::kFloat));
    if (options.on_step) options.on_step(i + 1, total);
  }
  return latents;
}

}  // namespace sdxl
