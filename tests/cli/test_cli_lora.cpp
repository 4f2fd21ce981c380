// LoRA through the executable: the per-file report, metadata (web-UI Lora hashes, the sdxl-gen chunk) and
// --from-png, prompt tags with --lora-dir, per-item sets in one jsonl batch, and input errors (exit 3).
#include <gtest/gtest.h>

#include "cli_runner.h"
#include "io/png.h"
#include "io/safetensors.h"
#include "pipeline/png_metadata.h"

namespace sdxl::test {
namespace {

std::string lora_data(const std::string& name) { return std::string(SDXL_SOURCE_DIR) + "/tests/adapters/data/" + name; }
const nlohmann::json& kohya_sgm_case() {
  static const nlohmann::json cases = read_json(lora_data("cases.json"));
  for (const auto& c : cases["cases"])
    if (c["name"] == "kohya_sgm") return c;
  throw std::runtime_error("cases.json has no kohya_sgm case");
}
const std::string kFlags = "--model tiny --steps 2 --size 64x64 --seed 3 --prompt " + shell_quote("a cat");

std::string chunk(const io::PngText& chunks, const std::string& key) {
  for (const auto& [k, v] : chunks)
    if (k == key) return v;
  return "";
}

TEST(CliLora, ReportMetadataAndFromPng) {
  const std::string dir = fresh_dir("lora_meta");
  CliResult r = run_cli(kFlags + " --lora " + shell_quote(lora_data("kohya_sgm.safetensors") + ":0.6") + " --out " + dir + "/a.png");
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string n = std::to_string(kohya_sgm_case()["tensors"].get<int>());
  std::string counts;
  for (const char* k : {"unet", "te1", "te2"})
    counts += (counts.empty() ? "" : ", ") + std::string(k) + " " + std::to_string(kohya_sgm_case()["per_component"][k].get<int>());
  EXPECT_NE(r.err.find("lora kohya_sgm.safetensors \u00d70.6: " + n + "/" + n + " tensors (" + counts + ")"), std::string::npos)
      << r.err;
  io::PngText chunks;
  const io::Image img = io::read_png(dir + "/a.png", &chunks);
  const std::string webui_hash = kohya_sgm_case()["webui_hash"];
  EXPECT_NE(chunk(chunks, "parameters").find("Lora hashes: \"kohya_sgm: " + webui_hash + "\""), std::string::npos)
      << chunk(chunks, "parameters");
  GenerationRequest back = request_from_png_chunks(chunks, "a.png");
  ASSERT_EQ(back.adapters.loras.size(), 1u);
  EXPECT_EQ(back.adapters.loras[0].path, lora_data("kohya_sgm.safetensors"));
  EXPECT_EQ(back.adapters.loras[0].multiplier, 0.6);
  EXPECT_EQ(back.adapters.loras[0].sha256, kohya_sgm_case()["sha256"].get<std::string>());

  CliResult again = run_cli("--model tiny --quiet --from-png " + dir + "/a.png --out " + dir + "/b.png");
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_EQ(io::read_png(dir + "/b.png").rgb, img.rgb);
  CliResult plain = run_cli(kFlags + " --quiet --out " + dir + "/c.png");
  ASSERT_EQ(plain.code, 0) << plain.err;
  EXPECT_NE(io::read_png(dir + "/c.png").rgb, img.rgb) << "the LoRA changed nothing";
}

// One batch: a prompt tag, no LoRA, the same file by path, another set; each item equals its own fresh run.
TEST(CliLora, PerItemSetsInOneBatchEqualSeparateRuns) {
  const std::string dir = fresh_dir("lora_batch");
  std::ofstream(dir + "/p.jsonl")
      << R"({"prompt": "a cat <lora:kohya_sgm:0.6>", "seed": 3})" << "\n"
      << R"({"prompt": "a cat", "seed": 3})" << "\n"
      << nlohmann::json{{"prompt", "a cat"}, {"seed", 3}, {"loras", {{{"path", lora_data("kohya_sgm.safetensors")}, {"multiplier", 0.6}}}}}.dump()
      << "\n"
      << nlohmann::json{{"prompt", "a cat <lyco:lokr>"}, {"seed", 3}, {"loras", {{{"path", lora_data("locon.safetensors")}, {"multiplier", -0.5}}}}}.dump()
      << "\n";
  CliResult r = run_cli("--model tiny --steps 2 --size 64x64 --quiet --lora-dir " + lora_data("") + " --prompt-file " + dir +
                        "/p.jsonl --out-dir " + dir + "/out --name {index}");
  ASSERT_EQ(r.code, 0) << r.err;
  auto item = [&](int i) { return io::read_png(dir + "/out/" + std::to_string(i) + ".png").rgb; };
  EXPECT_EQ(item(0), item(2));
  EXPECT_NE(item(0), item(1));
  const std::vector<std::string> alone = {"--lora " + lora_data("kohya_sgm.safetensors") + ":0.6", "",
                                          "--lora " + lora_data("locon.safetensors") + ":-0.5 --lora " + lora_data("lokr.safetensors")};
  for (int i : {0, 1, 3}) {
    const std::string out = dir + "/alone" + std::to_string(i) + ".png";
    CliResult one = run_cli(kFlags + " --quiet " + alone[i == 3 ? 2 : i] + " --out " + out);
    ASSERT_EQ(one.code, 0) << one.err;
    EXPECT_EQ(io::read_png(out).rgb, item(i)) << "item " << i;
  }
}

TEST(CliLora, EmbeddingsDirChangesOnlyPromptsThatUseTheName) {
  const std::string dir = fresh_dir("embeddings");
  const std::string emb = " --embeddings-dir " + lora_data("embeddings");
  auto run = [&](const std::string& prompt, const std::string& extra, const std::string& out) {
    CliResult r = run_cli("--model tiny --steps 2 --size 64x64 --seed 3 --quiet --prompt " + shell_quote(prompt) + extra +
                          " --out " + dir + "/" + out);
    EXPECT_EQ(r.code, 0) << r.err;
    return io::read_png(dir + "/" + out).rgb;
  };
  EXPECT_NE(run("a tinyemb cat", emb, "a.png"), run("a tinyemb cat", "", "b.png"));
  EXPECT_EQ(run("a cat", emb, "c.png"), run("a cat", "", "d.png"));
  CliResult bad = run_cli(kFlags + " --embeddings-dir " + dir + "/none --out " + dir + "/e.png");
  EXPECT_EQ(bad.code, 3) << bad.err;
}

TEST(CliLora, FilesThatDoNotFitAreInputErrors) {
  const std::string dir = fresh_dir("lora_errors");
  io::save_safetensors(dir + "/sd15.safetensors",
                       {{"lora_te_text_model_encoder_layers_0_self_attn_q_proj.lora_down.weight", at::zeros({4, 768})},
                        {"lora_te_text_model_encoder_layers_0_self_attn_q_proj.lora_up.weight", at::zeros({768, 4})}});
  CliResult r = run_cli(kFlags + " --lora " + dir + "/sd15.safetensors --out " + dir + "/x.png");
  EXPECT_EQ(r.code, 3);
  EXPECT_NE(r.err.find("lora_te_text_model_encoder_layers_0_self_attn_q_proj does not fit"), std::string::npos) << r.err;
  EXPECT_FALSE(file_exists(dir + "/x.png"));

  CliResult tag = run_cli("--model tiny --steps 2 --size 64x64 --seed 3 --prompt " + shell_quote("a cat <lora:kohya_sgn>") +
                          " --lora-dir " + lora_data("") + " --out " + dir + "/y.png");
  EXPECT_EQ(tag.code, 3);
  EXPECT_NE(tag.err.find("no kohya_sgn.safetensors under the LoRA folder"), std::string::npos) << tag.err;
  EXPECT_NE(tag.err.find("close matches: kohya_sgm"), std::string::npos) << tag.err;

  CliResult missing = run_cli(kFlags + " --lora " + dir + "/nope.safetensors:0.5 --out " + dir + "/z.png");
  EXPECT_EQ(missing.code, 3);
  EXPECT_NE(missing.err.find("nope.safetensors"), std::string::npos) << missing.err;
  CliResult bad = run_cli(kFlags + " --lora " + shell_quote(":0.5") + " --out " + dir + "/z.png");
  EXPECT_EQ(bad.code, 2) << bad.err;
}

}  // namespace
}  // namespace sdxl::test
