// Every adapter format against the reference (diffusers load_lora_weights + fuse_lora; LyCORIS merge_to):
// prompt embeddings and one UNet forward on the tiny base model, at the measured component tolerance (kAtol).
#include <gtest/gtest.h>

#include "adapter_fixtures.h"
#include "adapters/adapter_session.h"

namespace sdxl::test {
namespace {

// Component outputs on CPU fp32. Measured (2026-12-07, 33 + 21 comparisons of context, pooled and UNet output
// over every case and variant): worst 1.71e-6 (kohya_diffusers.unet); bound 1e-5 (5.8x). Was README-models.md
// sec. 7's general 1e-4.
constexpr double kAtol = 1e-5;

struct Outputs {
  at::Tensor context, pooled, unet;
};

Outputs run(ModelSet& model, AdapterSession& session, const std::vector<LoraSpec>& loras) {
  c10::InferenceMode guard;
  session.select(loras);
  TextConditioner& text = model.ensure_text();
  for (const TextEncoder& e : text.encoders()) session.sync(e.name, *e.model.ptr());
  text.clear_cache();
  UNet2DConditionModel& unet = model.ensure_unet();
  session.sync("unet", *unet);
  const auto& g = adapter_goldens();
  EncodedPrompts e = text.encode(PromptRequest{adapter_cases()["prompt"].get<std::string>()}, /*with_negative=*/false);
  at::Tensor out = unet->forward(g.at("inputs.sample"), g.at("inputs.timestep"), g.at("inputs.encoder_hidden_states"),
                                 g.at("inputs.text_embeds"), g.at("inputs.time_ids"));
  return {e.positive.context, e.positive.pooled, out};
}

void expect_golden(const Outputs& got, const std::string& name,
                   const std::map<std::string, at::Tensor>& g = adapter_goldens()) {
  EXPECT_TRUE(AllClose(name + ".context", got.context, g.at(name + ".context"), kAtol));
  EXPECT_TRUE(AllClose(name + ".pooled", got.pooled, g.at(name + ".pooled"), kAtol));
  EXPECT_TRUE(AllClose(name + ".unet", got.unet, g.at(name + ".unet"), kAtol));
  std::printf("[ max diff ] %s: context %.3g pooled %.3g unet %.3g\n", name.c_str(),
              max_abs_diff(got.context, g.at(name + ".context")), max_abs_diff(got.pooled, g.at(name + ".pooled")),
              max_abs_diff(got.unet, g.at(name + ".unet")));
}

TEST(AdapterGoldens, EveryFormatMatchesTheReference) {
  auto model = tiny_base();
  AdapterSession session(model->checkpoint);
  expect_golden(run(*model, session, {}), "none");
  for (const auto& c : adapter_cases()["cases"]) {
    const std::string name = c["name"];
    SCOPED_TRACE(name);
    std::vector<std::string> reports;
    session.select({{adapter_data(c["file"]), c["multiplier"].get<double>()}}, &reports);
    ASSERT_EQ(reports.size(), 1u);
    EXPECT_NE(reports[0].find(": " + expected_counts(c)), std::string::npos) << reports[0];
    expect_golden(run(*model, session, {{adapter_data(c["file"]), c["multiplier"].get<double>()}}), name);
  }
  // Back to no LoRA: every weight restored bit for bit.
  run(*model, session, {});
  EXPECT_EQ(session.merged_weights(), 0u);
  auto fresh = tiny_base();
  auto expect_restored = [](const std::string& component, const torch::nn::Module& want, const torch::nn::Module& got) {
    auto mine = got.named_parameters();
    size_t checked = 0;
    for (const auto& p : want.named_parameters()) {
      ASSERT_TRUE(mine.contains(p.key())) << component << " " << p.key();
      ASSERT_TRUE(at::equal(p.value(), mine[p.key()])) << component << " " << p.key();
      ++checked;
    }
    EXPECT_GT(checked, 0u) << component;
  };
  expect_restored("unet", *fresh->ensure_unet(), *model->ensure_unet());
  // The cases include CLIP-L (lora_te1_) and OpenCLIP-bigG (lora_te2_) keys: both encoders come back too.
  const auto& want_text = fresh->ensure_text().encoders();
  const auto& got_text = model->ensure_text().encoders();
  ASSERT_EQ(want_text.size(), 2u);
  ASSERT_EQ(got_text.size(), want_text.size());
  for (size_t i = 0; i < want_text.size(); ++i)
    expect_restored(want_text[i].name, *want_text[i].model.ptr(), *got_text[i].model.ptr());
}

// The layouts of README's adapter table that make_adapter_goldens.py has no case for
// (make_adapter_variant_goldens.py): LoKr with lokr_w1_a/_b, a full lokr_w2, a Tucker lokr_t2; PEFT's older
// `.lora.down.weight`, `.lora_linear_layer.*` and `processor.to_q_lora` names; kohya `lora_te_*` (CLIP-L).
TEST(AdapterGoldens, EveryPromisedVariantMatchesTheReference) {
  const nlohmann::json variants = read_json(adapter_data("variant_cases.json"));
  const auto goldens = load_golden_abs(adapter_data("variant_goldens.safetensors"));
  auto model = tiny_base();
  AdapterSession session(model->checkpoint);
  int checked = 0;
  for (const auto& c : variants["cases"]) {
    const std::string name = c["name"];
    SCOPED_TRACE(name);
    std::vector<std::string> reports;
    session.select({{adapter_data(c["file"]), c["multiplier"].get<double>()}}, &reports);
    ASSERT_EQ(reports.size(), 1u);
    EXPECT_NE(reports[0].find(": " + expected_counts(c)), std::string::npos) << reports[0];
    expect_golden(run(*model, session, {{adapter_data(c["file"]), c["multiplier"].get<double>()}}), name, goldens);
    ++checked;
  }
  EXPECT_EQ(checked, 7);
}

}  // namespace
}  // namespace sdxl::test
