// Image prompts of a request (README "Image prompts (IP-Adapter)"): the IP-Adapters and image encoders it
// names, loaded once and kept across requests; each image encoded once per request; the image tokens laid
// out as the UNet's batch as diffusers' prepare_ip_adapter_image_embeds does ([negative; positive] with
// guidance, where the negative is zeros for base adapters and the encoder run on zero pixels for Plus,
// diffusers encode_image).
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "adapters/ip_adapter.h"
#include "pipeline/device.h"
#include "sdxl/request.h"
#include "vision/clip_vision_model.h"

namespace sdxl {

// The checks of one image prompt that need no model: the adapter file read, its encoder (the spec's, else found
// beside the adapter: find_image_encoder) opened and fitted to the adapter, its image readable. Returns the
// encoder's path. Throws sdxl::Error naming the file.
std::string check_image_prompt_files(const IpAdapterSpec& spec, IpAdapterFile* adapter = nullptr);

class ImagePrompts {
 public:
  explicit ImagePrompts(const Placement& placement) : placement_(placement) {}

  // Every check that needs no weights: each adapter file read and fitted to `unet_shapes` (from a UNet
  // config), its image readable, its encoder found and fitted. Fills the specs' recorded fields (hashes,
  // the encoder used). Throws sdxl::Error naming the file.
  void check(std::vector<IpAdapterSpec>& specs, const std::vector<CrossAttentionShape>& unet_shapes,
             const std::string& model);
  // The attention terms for a UNet batch of `rows` rows per half (both halves with `cfg`).
  std::vector<ImagePromptAttention> prepare(const std::vector<IpAdapterSpec>& specs, int64_t rows, bool cfg);
  // --low-memory: drops the encoders (loaded again by the next request that needs them).
  void release_encoders() { encoders_.clear(); }

 private:
  IpAdapter& adapter(const std::string& path);
  CLIPVisionModel& encoder(const std::string& path);

  Placement placement_;
  std::map<std::string, std::unique_ptr<IpAdapter>> adapters_;
  std::map<std::string, CLIPVisionModel> encoders_;
};

}  // namespace sdxl
