// The random LoRA of `bench --lora`, made for the tiny base model: every key lands on a weight (100% applied)
// and it covers every linear of every transformer block and every CLIP encoder layer.
#include <gtest/gtest.h>

#include "adapters/resolved_adapter.h"
#include "adapters/synthetic_lora.h"
#include "common/strings.h"
#include "io/safetensors.h"
#include "test_util.h"
#include "weights/checkpoint.h"

namespace sdxl::test {
namespace {

// 2-D weights of a component under `within` (linears: the blocks' norms are 1-D, their convs 4-D).
int linears(const Checkpoint& ck, const std::string& component, const std::string& within) {
  int n = 0;
  for (const auto& [name, t] : ck.components.at(component).tensors)
    if (name.find(within) != std::string::npos && ends_with(name, ".weight") && t.dim() == 2) ++n;
  return n;
}

TEST(SyntheticLora, EveryKeyAppliesAndEveryBlockLinearIsCovered) {
  const Checkpoint ck = open_checkpoint(fixture("tiny-sdxl"));
  const SyntheticLora lora = synthetic_kohya_lora(ck, 4, 0);
  const std::string path = temp_path("synthetic_rank4.safetensors");
  io::save_safetensors(path, lora.tensors);

  const ResolvedAdapter r = resolve_adapter(read_adapter_file(path), TargetNames(ck));
  EXPECT_TRUE(r.skipped.empty()) << r.skipped.front();
  const int unet = linears(ck, "unet", ".transformer_blocks."), te1 = linears(ck, "text_encoder", ".encoder.layers."),
            te2 = linears(ck, "text_encoder_2", ".encoder.layers.");
  ASSERT_GT(unet, 0);
  const std::string n = std::to_string(unet + te1 + te2);
  EXPECT_NE(report_line(r, 1.0).find(n + "/" + n + " tensors (unet " + std::to_string(unet) + ", te1 " +
                                     std::to_string(te1) + ", te2 " + std::to_string(te2) + ")"),
            std::string::npos)
      << report_line(r, 1.0);

  for (const auto& [key, t] : lora.tensors) {
    if (key.rfind("lora_unet_", 0) == 0)  // kohya's SDXL names: the original (SGM) layout
      EXPECT_TRUE(key.rfind("lora_unet_input_blocks_", 0) == 0 || key.rfind("lora_unet_middle_block_", 0) == 0 ||
                  key.rfind("lora_unet_output_blocks_", 0) == 0)
          << key;
    EXPECT_EQ(t.scalar_type(), at::kHalf) << key;
    if (ends_with(key, ".lora_down.weight")) EXPECT_EQ(t.size(0), 4) << key;
  }
  // Reproducible from the seed.
  const SyntheticLora again = synthetic_kohya_lora(ck, 4, 0);
  for (const auto& [key, t] : lora.tensors) EXPECT_TRUE(at::equal(t, again.tensors.at(key))) << key;
}

}  // namespace
}  // namespace sdxl::test
