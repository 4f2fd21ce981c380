// Textual-inversion embeddings in PNG metadata: the web UI's "TI hashes" (first 12 hex digits of the sha256 of
// the whole file) for the embeddings a prompt used, the sdxl-gen chunk's folder and files, --from-png restoring
// them bit for bit, and a recorded file that is gone (exit 3).
#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "cli_runner.h"
#include "io/png.h"
#include "pipeline/png_metadata.h"

namespace sdxl::test {
namespace {

namespace fs = std::filesystem;

const std::string kTinyEmb = std::string(SDXL_SOURCE_DIR) + "/tests/adapters/data/embeddings/tinyemb.safetensors";
const std::string kEmbFlags = "--model tiny --steps 2 --size 64x64 --seed 3 --quiet";

std::string text_chunk(const io::PngText& chunks, const std::string& key) {
  for (const auto& [k, v] : chunks)
    if (k == key) return v;
  return "";
}

// A fresh folder holding a copy of the test embedding (so that a test may delete it).
std::string embeddings_copy(const std::string& dir) {
  fs::create_directories(dir + "/emb");
  fs::copy_file(kTinyEmb, dir + "/emb/tinyemb.safetensors", fs::copy_options::overwrite_existing);
  return dir + "/emb";
}

TEST(CliEmbeddings, RecordedAndRestoredByFromPng) {
  const std::string dir = fresh_dir("emb_meta");
  const std::string emb = embeddings_copy(dir);
  CliResult r = run_cli(kEmbFlags + " --prompt " + shell_quote("a tinyemb cat") + " --embeddings-dir " + emb + " --out " + dir + "/a.png");
  ASSERT_EQ(r.code, 0) << r.err;
  io::PngText chunks;
  const io::Image img = io::read_png(dir + "/a.png", &chunks);
  // The file's hashes as the generator computed them with Python's hashlib (make_embedding_goldens.py).
  const nlohmann::json hashes =
      read_json(std::string(SDXL_SOURCE_DIR) + "/tests/adapters/data/embedding_hashes.json").at("tinyemb");
  const std::string sha = hashes.at("sha256"), ti_hash = hashes.at("ti_hash");
  EXPECT_NE(text_chunk(chunks, "parameters").find("TI hashes: \"tinyemb: " + ti_hash + "\""), std::string::npos)
      << text_chunk(chunks, "parameters");
  const Provenance p = provenance_from_png_chunks(chunks);
  EXPECT_EQ(p.embeddings_dir, emb);
  ASSERT_EQ(p.embeddings.size(), 1u);
  EXPECT_EQ(p.embeddings[0].name, "tinyemb");
  EXPECT_EQ(p.embeddings[0].path, emb + "/tinyemb.safetensors");
  EXPECT_EQ(p.embeddings[0].sha256, sha);
  EXPECT_EQ(request_from_png_chunks(chunks, "a.png").text.prompt, "a tinyemb cat");

  // No --embeddings-dir: the recorded folder is used (without it "tinyemb" would be plain words, another image).
  CliResult again = run_cli("--model tiny --quiet --from-png " + dir + "/a.png --out " + dir + "/b.png");
  ASSERT_EQ(again.code, 0) << again.err;
  io::PngText again_chunks;
  EXPECT_EQ(io::read_png(dir + "/b.png", &again_chunks).rgb, img.rgb);
  EXPECT_EQ(provenance_from_png_chunks(again_chunks).embeddings.size(), 1u);
  CliResult plain = run_cli(kEmbFlags + " --prompt " + shell_quote("a tinyemb cat") + " --out " + dir + "/c.png");
  ASSERT_EQ(plain.code, 0) << plain.err;
  EXPECT_NE(io::read_png(dir + "/c.png").rgb, img.rgb) << "the embedding changed nothing";

  // A flag overrides the recorded folder, and says so.
  CliResult over = run_cli("--model tiny --from-png " + dir + "/a.png --embeddings-dir " +
                           fs::path(kTinyEmb).parent_path().string() + " --out " + dir + "/d.png");
  ASSERT_EQ(over.code, 0) << over.err;
  EXPECT_NE(over.err.find("overrides the recorded " + emb), std::string::npos) << over.err;
  EXPECT_EQ(io::read_png(dir + "/d.png").rgb, img.rgb);

  // The recorded file is gone: an input error naming it, nothing written.
  fs::remove(emb + "/tinyemb.safetensors");
  CliResult gone = run_cli("--model tiny --quiet --from-png " + dir + "/a.png --out " + dir + "/e.png");
  EXPECT_EQ(gone.code, 3) << gone.err;
  EXPECT_NE(gone.err.find(emb + "/tinyemb.safetensors"), std::string::npos) << gone.err;
  EXPECT_FALSE(file_exists(dir + "/e.png"));
}

// Only the embeddings an item's prompts use are listed, per item of a batch (negative prompts count too).
TEST(CliEmbeddings, OnlyUsedEmbeddingsAreRecordedPerItem) {
  const std::string dir = fresh_dir("emb_items");
  const std::string emb = embeddings_copy(dir);
  std::ofstream(dir + "/p.jsonl") << R"({"prompt": "a tinyemb cat"})" << "\n"
                                  << R"({"prompt": "a dog"})" << "\n"
                                  << R"({"prompt": "a bird", "negative_prompt": "tinyemb"})" << "\n"
                                  << R"({"prompt": "a tinyembx fish"})" << "\n";
  CliResult r = run_cli(kEmbFlags + " --prompt-file " + dir + "/p.jsonl --embeddings-dir " + emb + " --out-dir " + dir + "/out");
  ASSERT_EQ(r.code, 0) << r.err;
  std::map<std::string, bool> recorded;  // prompt -> lists tinyemb
  for (const auto& f : fs::directory_iterator(dir + "/out")) {
    if (f.path().extension() != ".png") continue;  // the batch manifest (manifest-0-of-1.jsonl) sits beside them
    io::PngText chunks;
    io::read_png(f.path().string(), &chunks);
    const std::string params = text_chunk(chunks, "parameters");
    const Provenance p = provenance_from_png_chunks(chunks);
    EXPECT_EQ(p.embeddings_dir, emb);
    const bool listed = params.find("TI hashes: ") != std::string::npos;
    EXPECT_EQ(listed, !p.embeddings.empty()) << params;
    recorded[request_from_png_chunks(chunks, f.path().string()).text.prompt] = listed;
  }
  const std::map<std::string, bool> expected{{"a tinyemb cat", true}, {"a dog", false}, {"a bird", true}, {"a tinyembx fish", false}};
  EXPECT_EQ(recorded, expected);
}

}  // namespace
}  // namespace sdxl::test
