// `sdxl-gen tokenize [--model PATH] --prompt TEXT [--json]`: the token ids both SDXL text encoders get,
// the prompt's length in tokens and what truncation drops.
#include <iostream>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/model_path.h"
#include "text/tokenizer.h"
#include "weights/checkpoint.h"

namespace sdxl::cli {
namespace {

struct TokenizeFlags {
  std::string model, config_dir, prompt;
  bool json = false;
};

int run_tokenize(const TokenizeFlags& f) {
  std::shared_ptr<const Tokenizer> tok1 = bundled_clip_tokenizer(49407), tok2 = bundled_clip_tokenizer(0);
  if (!f.model.empty()) {
    std::string config_dir = f.config_dir;
    Checkpoint ckpt = open_checkpoint(resolve_model_path(f.model, &config_dir), config_dir);
    if (!ckpt.tokenizer_dir.empty()) tok1 = load_tokenizer(ckpt.tokenizer_dir);
    if (!ckpt.tokenizer_2_dir.empty()) tok2 = load_tokenizer(ckpt.tokenizer_2_dir);
  }
  std::vector<int> ids = tok1->encode(f.prompt);
  TokenizedPrompt in1 = tok1->model_input(ids), in2 = tok2->model_input(tok2->encode(f.prompt));
  const int64_t length = static_cast<int64_t>(ids.size()) + 2;  // with start and end tokens
  if (f.json) {
    nlohmann::json out = {{"input_ids", {in1.ids77, in2.ids77}}, {"length", length}, {"dropped", in1.dropped}};
    std::cout << out.dump() << "\n";
    return kOk;
  }
  auto print = [](const char* name, const TokenizedPrompt& t) {
    std::cout << name << ":";
    for (auto id : t.ids77) std::cout << " " << id;
    std::cout << "\n";
  };
  print("text_encoder", in1);
  print("text_encoder_2", in2);
  std::cout << "length: " << length << " tokens (limit 77 with start and end)\n";
  if (!in1.dropped.empty()) std::cout << "dropped: " << in1.dropped << "\n";
  return kOk;
}

}  // namespace

Command add_tokenize(CLI::App& app) {
  auto f = std::make_shared<TokenizeFlags>();
  auto* sub = app.add_subcommand("tokenize", "Show the CLIP token ids of a prompt for both text encoders");
  sub->add_option("--model,-m", f->model, "Checkpoint whose tokenizers to use (default: the bundled CLIP vocabulary)");
  sub->add_option("--config", f->config_dir, "Config folder for a single-file checkpoint");
  sub->add_option("--prompt,-p", f->prompt, "Prompt text")->required();
  sub->add_flag("--json", f->json, "One JSON object: input_ids, length, dropped");
  return Command{sub, [f] { return run_tokenize(*f); }};
}

}  // namespace sdxl::cli
