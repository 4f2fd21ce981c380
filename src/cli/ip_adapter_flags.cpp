#include "cli/ip_adapter_flags.h"

#include "cli/exit_codes.h"
#include "cli/lora_flags.h"

namespace sdxl::cli {

void add_ip_adapter_flags(CLI::App& app, IpAdapterFlags& f) {
  app.add_option("--ip-adapter", f.adapters,
                 "IP-Adapter .safetensors FILE[:SCALE] for an image prompt (repeatable, paired with --ip-image by "
                 "order; default scale 1)")
      ->group("Image prompts");
  app.add_option("--ip-image", f.images, "PNG image read by the --ip-adapter of the same position")->group("Image prompts");
  app.add_option("--image-encoder", f.encoders,
                 "CLIP vision encoder for the --ip-adapter files (transformers image_encoder folder or .safetensors; "
                 "once for all, or once per adapter). Default: the official layout beside each adapter file")
      ->group("Image prompts");
}

std::vector<IpAdapterSpec> parse_ip_adapter_flags(const IpAdapterFlags& f) {
  if (f.images.size() != f.adapters.size())
    throw UsageError("--ip-adapter: " + std::to_string(f.adapters.size()) + " adapters and " +
                     std::to_string(f.images.size()) + " --ip-image images; give one image per adapter, in order");
  if (f.encoders.size() > 1 && f.encoders.size() != f.adapters.size())
    throw UsageError("--image-encoder: given " + std::to_string(f.encoders.size()) + " times for " +
                     std::to_string(f.adapters.size()) + " adapters; give it once (for all) or once per adapter");
  if (!f.encoders.empty() && f.adapters.empty()) throw UsageError("--image-encoder needs an --ip-adapter");
  std::vector<IpAdapterSpec> out;
  for (size_t i = 0; i < f.adapters.size(); ++i) {
    const std::string& v = f.adapters[i];
    IpAdapterSpec spec;
    const auto [path, scale] = split_file_number(v, "--ip-adapter", "scale");
    spec.path = path;
    spec.scale = scale.value_or(1.0);
    if (spec.path.empty()) throw UsageError("--ip-adapter " + v + ": expected FILE[:SCALE]");
    spec.image = f.images[i];
    if (!f.encoders.empty()) spec.image_encoder = f.encoders[f.encoders.size() == 1 ? 0 : i];
    out.push_back(spec);
  }
  return out;
}

nlohmann::json ip_adapter_flags_json(const IpAdapterFlags& flags) {
  GenerationRequest r;
  r.adapters.ip_adapters = parse_ip_adapter_flags(flags);
  return to_json(r).at("ip_adapters");
}

}  // namespace sdxl::cli
