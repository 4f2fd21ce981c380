// Few-step flags end to end: a v-prediction folder runs with its own scheduler settings and records them,
// --sampler lcm, --vae with the tiny autoencoder (recorded as "VAE:"), --preview files, and bad values.
#include "cli_runner.h"
#include "io/png.h"
#include "pipeline/png_metadata.h"

namespace sdxl::test {
namespace {

const std::string kSource = SDXL_SOURCE_DIR;

std::string parameters_text(const io::PngText& chunks) {
  for (const auto& [k, v] : chunks)
    if (k == "parameters") return v;
  return "";
}

TEST(CliFewStep, VPredictionFolderRecordsItsSchedule) {
  const std::string dir = fresh_dir("vpred");
  CliResult r = run_cli("--model " + std::string(SDXL_FIXTURES) + "/tiny-sdxl-vpred --steps 2 --quiet --size 64x64 "
                        "--dtype fp32 --vae-dtype fp32 --prompt fox --seed 1 --out " + dir + "/v.png");
  ASSERT_EQ(r.code, 0) << r.err;
  io::PngText chunks;
  io::read_png(dir + "/v.png", &chunks);
  const GenerationRequest back = request_from_png_chunks(chunks, "v.png");
  EXPECT_EQ(back.sampling.prediction_type, PredictionType::VPrediction);
  EXPECT_EQ(back.sampling.zero_terminal_snr.value_or(false), true);
  EXPECT_EQ(back.sampling.timestep_spacing, TimestepSpacing::Trailing);
  CliResult info = run_cli("info " + dir + "/v.png");
  EXPECT_NE(info.out.find("Dtype: fp32"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find("Prediction type: v_prediction"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find("Zero terminal SNR: True"), std::string::npos) << info.out;
}

TEST(CliFewStep, LcmWithTinyAutoencoderAndPreview) {
  const std::string dir = fresh_dir("lcm_taesd");
  CliResult r = run_cli("--model tiny --quiet --size 64x64 --prompt fox --seed 2 --sampler lcm --cfg 1.5 --steps 3 --vae " + kSource +
                        "/tests/vae/data/taesdxl_decoder.safetensors --preview " + dir + "/preview.png --out " + dir +
                        "/out.png");
  ASSERT_EQ(r.code, 0) << r.err;
  io::PngText chunks;
  io::read_png(dir + "/out.png", &chunks);
  const std::string params = parameters_text(chunks);
  EXPECT_NE(params.find("Sampler: LCM"), std::string::npos) << params;
  EXPECT_NE(params.find("VAE: taesdxl_decoder.safetensors"), std::string::npos) << params;
  const io::Image preview = io::read_png(dir + "/preview.png");
  EXPECT_EQ(preview.width, 64);  // the tiny --vae decodes previews at full size
  EXPECT_EQ(count_files(dir, ""), 2) << "no temp files left behind";
}

TEST(CliFewStep, BadValuesNameTheFlag) {
  const std::string dir = fresh_dir("fewstep_bad");
  CliResult r = run_cli(tiny_flags() + " --prompt x --prediction-type flow --out " + dir + "/a.png");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--prediction-type"), std::string::npos) << r.err;
  r = run_cli(tiny_flags() + " --prompt x --vae " + kSource + "/tests/fixtures/tiny-sdxl/unet --out " + dir + "/a.png");
  EXPECT_EQ(r.code, 3);
  EXPECT_NE(r.err.find("--vae"), std::string::npos) << r.err;
  r = run_cli(tiny_flags() + " --prompt x --preview-every 0 --preview " + dir + "/p.png --out " + dir + "/a.png");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--preview-every"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace sdxl::test
