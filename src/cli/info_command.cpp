// `sdxl-gen info FILE.png`: the generation parameters recorded in a PNG.
#include <iostream>

#include "cli/commands.h"
#include "io/png.h"
#include "pipeline/png_metadata.h"

namespace sdxl::cli {

Command add_info(CLI::App& app) {
  auto path = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  auto* sub = app.add_subcommand("info", "Print the generation parameters recorded in a PNG");
  sub->add_option("png", *path, "PNG written by sdxl-gen (or a web UI)")->required();
  sub->add_flag("--json", *json, "Print the request as JSON");
  return Command{sub, [path, json] {
                   std::vector<std::pair<std::string, std::string>> chunks;
                   io::Image img = io::read_png(*path, &chunks);
                   GenerationRequest r = request_from_png_chunks(chunks, *path);
                   const Provenance p = provenance_from_png_chunks(chunks);
                   if (*json) {
                     nlohmann::json j = to_json(r);
                     const std::pair<const char*, const std::string*> recorded[] = {
                         {"model", &p.model}, {"model_hash", &p.model_hash}, {"refiner", &p.refiner},
                         {"refiner_hash", &p.refiner_hash}, {"version", &p.version}, {"embeddings_dir", &p.embeddings_dir}};
                     for (const auto& [key, value] : recorded)
                       if (!value->empty()) j[key] = *value;
                     if (!p.embeddings.empty()) j["embeddings"] = embeddings_json(p.embeddings);
                     // How it ran (dtypes, device, a swapped VAE), which --from-png restores.
                     if (p.runtime.is_object()) j["runtime"] = p.runtime;
                     if (p.batch_image >= 0) j["batch_image"] = p.batch_image;
                     std::cout << j.dump(2) << "\n";
                   } else {
                     std::cout << *path << ": " << img.width << "x" << img.height << "\n";
                     for (const auto& [k, v] : chunks)
                       if (k == "parameters") std::cout << v << "\n";
                     if (std::none_of(chunks.begin(), chunks.end(), [](auto& c) { return c.first == "parameters"; }))
                       std::cout << a1111_parameters(r, r.sampling.seed.value_or(0), "") << "\n";
                   }
                   return 0;
                 }};
}

}  // namespace sdxl::cli
