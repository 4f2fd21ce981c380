#include "pipeline/preview.h"

#include "common/error.h"
#include "vae/postprocess.h"

namespace sdxl {

at::Tensor latent_rgb_preview(const at::Tensor& latents) {
  if (latents.dim() != 4 || latents.size(1) != 4)
    throw Error(ErrorCategory::Input, "", "latent preview: expected latents [B,4,h,w], got " + std::to_string(latents.dim()) + " dimensions");
  // Rows: latent channels 0..3; columns: R, G, B (ComfyUI latent_formats.SDXL).
  static const float kFactors[4][3] = {{0.3651f, 0.4232f, 0.4341f},
                                       {-0.2533f, -0.0042f, 0.1068f},
                                       {0.1076f, 0.1111f, -0.0362f},
                                       {-0.3165f, -0.2492f, -0.2188f}};
  static const float kBias[3] = {0.1084f, -0.0175f, -0.0011f};
  const at::Tensor weight = at::from_blob(const_cast<float*>(&kFactors[0][0]), {4, 3}, at::kFloat).t().contiguous();
  const at::Tensor bias = at::from_blob(const_cast<float*>(kBias), {3}, at::kFloat).clone();
  const at::Tensor x = latents.to(at::kCPU, at::kFloat).permute({0, 2, 3, 1});  // [B,h,w,4]
  const at::Tensor rgb = at::linear(x, weight, bias).permute({0, 3, 1, 2});      // [B,3,h,w] in ~[-1,1]
  return image_to_uint8(rgb);
}

}  // namespace sdxl
