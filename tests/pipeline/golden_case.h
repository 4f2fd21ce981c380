// Reads a pipeline golden case (tests/fixtures/pipeline_golden/<case>.json) into a GenerationRequest and
// pipeline options for the tiny model family.
#pragma once
#include <nlohmann/json.hpp>

#include <fstream>
#include <string>

#include "sdxl/pipeline.h"
#include "test_util.h"

namespace sdxl::test {

struct GoldenCase {
  std::string name;
  nlohmann::json spec;
  GenerationRequest request;
  PipelineOptions options;
};

inline GoldenCase load_golden_case(const std::string& name) {
  GoldenCase c;
  c.name = name;
  std::ifstream in(fixture("pipeline_golden/" + name + ".json"));
  c.spec = nlohmann::json::parse(in);
  const auto& in_ = c.spec["inputs"];
  GenerationRequest& r = c.request;
  r.prompt = in_["prompt"];
  if (in_.contains("prompt_2") && !in_["prompt_2"].is_null()) r.prompt_2 = in_["prompt_2"].get<std::string>();
  if (!in_["negative_prompt"].is_null()) r.negative_prompt = in_["negative_prompt"].get<std::string>();
  if (in_.contains("negative_prompt_2") && !in_["negative_prompt_2"].is_null())
    r.negative_prompt_2 = in_["negative_prompt_2"].get<std::string>();
  r.size = Size{in_["height"].get<int>(), in_["width"].get<int>()};
  r.steps = in_["steps"];
  r.cfg = in_["guidance_scale"];
  std::string sampler = in_["sampler"];
  if (sampler == "dpmpp_2m_karras") {
    sampler = "dpmpp_2m";
    r.karras = true;
  }
  r.sampler = parse_sampler(sampler);
  r.seed = in_["seed"].get<uint64_t>();
  r.num_images = in_["num_images_per_prompt"];
  r.batch_noise = BatchNoise::Shared;  // the reference's num_images_per_prompt draws the batch from one generator
  auto size_of = [](const nlohmann::json& hw) { return Size{hw[0].get<int>(), hw[1].get<int>()}; };
  if (in_.contains("original_size")) r.original_size = size_of(in_["original_size"]);
  if (in_.contains("negative_original_size")) r.negative_original_size = size_of(in_["negative_original_size"]);
  if (in_.contains("negative_target_size")) r.negative_target_size = size_of(in_["negative_target_size"]);
  if (in_.contains("crops_coords_top_left"))
    r.crop_top_left = std::pair<int, int>{in_["crops_coords_top_left"][0], in_["crops_coords_top_left"][1]};
  c.options.model = fixture("tiny-sdxl");
  c.options.device = test_device();
  c.options.dtype = "fp32";  // the goldens are float32: on CUDA too, so they hold at the same tolerances
  c.options.vae_dtype = "fp32";
  const std::string kind = in_["kind"];
  if (kind == "ensemble") {
    c.options.refiner = fixture("tiny-sdxl-refiner");
    r.refiner_mode = RefinerMode::Expert;
    r.high_noise_frac = in_["split"];
    r.refiner_seed = in_["refiner_seed"].get<uint64_t>();
  } else if (kind == "sdedit") {
    // The refiner used alone as an img2img model on the base case's PNG.
    c.options.model = fixture("tiny-sdxl-refiner");
    r.init_image = fixture("pipeline_golden/" + name + "_input.png");
    r.strength = in_["strength"];
  }
  return c;
}

}  // namespace sdxl::test
