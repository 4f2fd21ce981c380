// A prompt file's image prompts and controls are checked before any model loads (issue 26): a missing IP-Adapter
// image, an adapter with no encoder to be found, a missing control image or a control model of a kind sdxl-gen
// does not run, on lines 2 to 5, are reported as those lines' errors while line 1 has not started. The process
// is killed in line 1's first step (sdxl-gen-test, SDXL_GEN_FAIL_ITEM=0:kill), so whatever was reported then
// was found without a model.
#include <gtest/gtest.h>

#include <fstream>

#include "cli_runner.h"
#include "io/safetensors.h"

namespace sdxl::test {
namespace {

std::string pf_vision_data(const std::string& name) { return std::string(SDXL_SOURCE_DIR) + "/tests/vision/data/" + name; }
std::string pf_control_data(const std::string& name) {
  return std::string(SDXL_SOURCE_DIR) + "/tests/fixtures/control_golden/" + name;
}

TEST(CliPromptFileInputs, ImagePromptsAndControlsAreCheckedBeforeAnyLoad) {
  const std::string dir = fresh_dir("pf_inputs");
  const nlohmann::json adapter = {{"path", pf_vision_data("ip_base.safetensors")}, {"image", pf_vision_data("ip_a.png")},
                                  {"image_encoder", pf_vision_data("image_encoder_gelu")}, {"scale", 0.6}};
  const nlohmann::json control = {{"model", pf_control_data("tiny-controlnet")}, {"image", pf_control_data("control_a.png")}};
  auto with = [](nlohmann::json j, const char* key, const std::string& value) {
    j[key] = value;
    return j;
  };
  nlohmann::json no_encoder = adapter;
  no_encoder.erase("image_encoder");
  const std::vector<nlohmann::json> lines = {
      {{"prompt", "a plain line"}},
      {{"prompt", "missing ip image"}, {"ip_adapters", {with(adapter, "image", dir + "/missing_ip.png")}}},
      {{"prompt", "no encoder"}, {"ip_adapters", {no_encoder}}},
      {{"prompt", "missing control image"}, {"controls", {with(control, "image", dir + "/missing_control.png")}}},
      {{"prompt", "lllite"}, {"controls", {with(control, "model", dir + "/lllite.safetensors")}}},
  };
  // A ControlNet-LLLite file: its kind is read from the tensor names.
  io::save_safetensors(dir + "/lllite.safetensors",
                       {{"lllite_unet_input_blocks_4_1_transformer_blocks_0_attn1_to_q.down.weight", at::zeros({4, 4})}});
  {
    std::ofstream f(dir + "/prompts.jsonl");
    for (const auto& l : lines) f << l.dump() << "\n";
  }
  const CliResult r = run_cli("--model tiny --steps 2 --size 64x64 --prompt-file " + dir + "/prompts.jsonl --out-dir " +
                                  dir + "/out",
                              "SDXL_GEN_FAIL_ITEM=0:kill", test_cli_path());
  EXPECT_NE(r.code, 0) << r.err;
  // Each line's error names its line and the file at fault.
  for (const auto& [line, what] : std::vector<std::pair<std::string, std::string>>{
           {"prompts.jsonl:2: ", "missing_ip.png"},
           {"prompts.jsonl:3: ", "no image encoder"},
           {"prompts.jsonl:4: ", "missing_control.png"},
           {"prompts.jsonl:5: ", "LLLite"}}) {
    const size_t at = r.err.find(line);
    ASSERT_NE(at, std::string::npos) << "not reported before line 1 ran: " << line << "\n" << r.err;
    EXPECT_NE(r.err.substr(at, r.err.find('\n', at) - at).find(what), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace sdxl::test
