#include "pipeline/image_prompts.h"

#include "common/error.h"
#include "io/image_file.h"
#include "io/png.h"
#include "io/sha256.h"
#include "vision/clip_image_processor.h"
#include "vision/image_encoder_file.h"

namespace sdxl {

void ImagePrompts::check(std::vector<IpAdapterSpec>& specs, const std::vector<CrossAttentionShape>& unet_shapes,
                         const std::string& model) {
  for (IpAdapterSpec& s : specs) {
    const IpAdapterFile file = read_ip_adapter(s.path);
    check_adapter_fits_unet(file, unet_shapes, model);
    const std::string encoder = s.image_encoder ? *s.image_encoder : find_image_encoder(file);
    check_adapter_fits_encoder(file, open_image_encoder(encoder).config, encoder);
    try {
      (void)io::read_image(s.image);
    } catch (const Error& e) {
      throw input_error("ip_image", e.what());
    }
    s.image_encoder_used = encoder;
    s.sha256 = io::hash_file(s.path, false).file;
    s.image_sha256 = io::hash_file(s.image, false).file;
  }
}

IpAdapter& ImagePrompts::adapter(const std::string& path) {
  auto& slot = adapters_[path];
  if (!slot)
    slot = std::make_unique<IpAdapter>(read_ip_adapter(path),
                                       at::TensorOptions().device(placement_.device).dtype(placement_.dtype));
  return *slot;
}

CLIPVisionModel& ImagePrompts::encoder(const std::string& path) {
  auto it = encoders_.find(path);
  if (it == encoders_.end()) {
    const ImageEncoderFile f = open_image_encoder(path);
    it = encoders_.emplace(path, load_clip_vision_model(f.tensors(), f.config, "image encoder " + path,
                                                        placement_.device, placement_.dtype)).first;
  }
  return it->second;
}

std::vector<ImagePromptAttention> ImagePrompts::prepare(const std::vector<IpAdapterSpec>& specs, int64_t rows, bool cfg) {
  std::vector<ImagePromptAttention> out;
  for (const IpAdapterSpec& s : specs) {
    if (s.image_encoder_used.empty()) throw Error(ErrorCategory::Generation, "", "image prompt " + s.path + ": not checked before use");
    IpAdapter& a = adapter(s.path);
    CLIPVisionModel& e = encoder(s.image_encoder_used);
    io::Image image;
    try {
      image = io::read_image(s.image);
    } catch (const Error& x) {
      throw input_error("ip_image", x.what());
    }
    const at::Tensor pixels = clip_image_pixels(image, e->config().image_size);
    const CLIPVisionOutput encoded = e->forward(pixels);
    at::Tensor tokens = a.project(encoded).expand({rows, -1, -1});
    if (cfg) {
      // diffusers encode_image: zeros for the embeddings of base adapters, the encoder on zero pixels for Plus.
      const at::Tensor uncond = a.file().uses_hidden_states()
                                    ? a.project(e->forward(at::zeros_like(pixels)))
                                    : a.project(CLIPVisionOutput{at::zeros_like(encoded.image_embeds), {}});
      tokens = at::cat({uncond.expand({rows, -1, -1}), tokens});
    }
    out.push_back(a.attention(tokens.contiguous(), s.scale));
  }
  return out;
}

}  // namespace sdxl
