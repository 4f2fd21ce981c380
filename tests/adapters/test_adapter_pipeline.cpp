// LoRA through the public Pipeline: the end-to-end golden, per-request sets without reloading (bit-exact
// against fresh pipelines), and the input errors for files that do not fit the model.
#include <gtest/gtest.h>

#include "adapter_fixtures.h"
#include "common/error.h"
#include "io/safetensors.h"
#include "sdxl/pipeline.h"

namespace sdxl::test {
namespace {

PipelineOptions tiny_options() {
  PipelineOptions o;
  o.model = fixture("tiny-sdxl");
  o.device = DeviceChoice{DeviceKind::Cpu};
  o.dtype = DType::Fp32;
  o.vae_dtype = DType::Fp32;
  return o;
}

GenerationRequest e2e_request() {
  const auto& e = adapter_cases()["e2e"];
  GenerationRequest r;
  r.text.prompt = e["prompt"];
  r.text.negative_prompt = e["negative_prompt"].get<std::string>();
  r.sampling.steps = e["steps"];
  r.sampling.cfg = e["cfg"];
  r.sampling.seed = e["seed"].get<uint64_t>();
  r.sampling.size = Size{e["height"].get<int>(), e["width"].get<int>()};
  r.sampling.sampler = SamplerKind::Euler;
  r.sampling.batch_noise = BatchNoise::Shared;
  r.adapters.loras = {{adapter_data(e["lora"]), e["multiplier"].get<double>()}};
  return r;
}

TEST(AdapterPipeline, EndToEndMatchesTheReference) {
  Pipeline pipeline(tiny_options());
  GenerationResult out = pipeline.generate(e2e_request());
  const at::Tensor& want = adapter_goldens().at("e2e.latents");
  // pipeline golden tolerance (tests/pipeline): abs 1e-3 or 1e-4 of the peak
  EXPECT_TRUE(AllClose("e2e latents", out.latents, want, std::max(1e-3, 1e-4 * want.abs().max().item<double>())));
  ASSERT_EQ(out.adapter_reports.size(), 1u);
  EXPECT_NE(out.adapter_reports[0].find(expected_counts(adapter_case("kohya_sgm"))), std::string::npos)
      << out.adapter_reports[0];
}

// Items with different LoRA sets in one pipeline equal fresh pipelines bit for bit, in any order.
TEST(AdapterPipeline, PerRequestSetsAreExactWithoutReloading) {
  GenerationRequest base = e2e_request();
  base.sampling.steps = 2;
  const std::vector<std::vector<LoraSpec>> sets = {
      {{adapter_data("kohya_sgm.safetensors"), 0.6}},
      {},
      {{adapter_data("locon.safetensors"), 1.0}, {adapter_data("te_only.safetensors"), -0.5}},
      {{adapter_data("kohya_sgm.safetensors"), 0.6}},
  };
  Pipeline shared(tiny_options());
  std::vector<at::Tensor> in_batch;
  for (const auto& s : sets) {
    GenerationRequest r = base;
    r.adapters.loras = s;
    in_batch.push_back(shared.generate(r).latents);
  }
  for (size_t i = 0; i < sets.size(); ++i) {
    Pipeline fresh(tiny_options());
    GenerationRequest r = base;
    r.adapters.loras = sets[i];
    EXPECT_TRUE(at::equal(fresh.generate(r).latents, in_batch[i])) << "item " << i;
  }
  EXPECT_FALSE(at::equal(in_batch[0], in_batch[1]));
}

// A file is checked against the model before any image: no matching weight, or factors of another shape.
TEST(AdapterPipeline, FilesForAnotherModelAreInputErrors) {
  Pipeline pipeline(tiny_options());
  const std::string unmatched = temp_path("sd15_names.safetensors");
  io::save_safetensors(unmatched, {{"lora_unet_down_blocks_0_attentions_0_proj_in.lora_down.weight", at::zeros({4, 320})},
                                   {"lora_unet_down_blocks_0_attentions_0_proj_in.lora_up.weight", at::zeros({320, 4})}});
  EXPECT_NE(error_of([&] { pipeline.load_loras({{unmatched, 1.0}}); })
                .find("none of its 1 modules names a weight of this model (first: lora_unet_down_blocks_0_attentions_0_proj_in)"),
            std::string::npos);
  const std::string misshaped = temp_path("sd15_shapes.safetensors");
  io::save_safetensors(misshaped,
                       {{"lora_te1_text_model_encoder_layers_0_self_attn_q_proj.lora_down.weight", at::zeros({4, 768})},
                        {"lora_te1_text_model_encoder_layers_0_self_attn_q_proj.lora_up.weight", at::zeros({768, 4})}});
  const std::string e = error_of([&] { pipeline.load_loras({{misshaped, 1.0}}); });
  EXPECT_NE(e.find("lora_te1_text_model_encoder_layers_0_self_attn_q_proj does not fit this model's text_encoder weight "
                   "text_model.encoder.layers.0.self_attn.q_proj.weight"),
            std::string::npos)
      << e;
  const std::string dora = temp_path("dora.safetensors");
  io::save_safetensors(dora, {{"lora_unet_x.lora_down.weight", at::zeros({4, 8})},
                              {"lora_unet_x.lora_up.weight", at::zeros({8, 4})},
                              {"lora_unet_x.dora_scale", at::zeros({8, 1})}});
  EXPECT_NE(error_of([&] { pipeline.load_loras({{dora, 1.0}}); }).find("DoRA (weight-decomposed LoRA) is not supported"),
            std::string::npos);
  EXPECT_NE(error_of([&] { pipeline.load_loras({{temp_path("missing.safetensors"), 1.0}}); }).find("missing.safetensors"),
            std::string::npos);
}

}  // namespace
}  // namespace sdxl::test
