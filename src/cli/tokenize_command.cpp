// `sdxl-gen tokenize [--model PATH] (--prompt TEXT | --prompt-file FILE) [--json]`: the token ids both SDXL
// text encoders get, the prompt's length in tokens and what truncation drops. A prompt file (.txt/.jsonl,
// like `generate`'s) is tokenized in one process: one result per prompt, in file order.
#include <iostream>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "run/model_path.h"
#include "io/prompt_file.h"
#include "pipeline/model_set.h"
#include "sdxl/request.h"
#include "text/tokenizer.h"
#include "weights/checkpoint.h"
#include "weights/presets.h"

namespace sdxl::cli {
namespace {

struct TokenizeFlags {
  std::string model, config_dir, prompt, prompt_file;
  bool json = false;
};

struct Tokenizers {
  std::shared_ptr<const Tokenizer> enc1, enc2;
};

Tokenizers load_tokenizers(const TokenizeFlags& f) {
  using text::ClipCleaning;
  Checkpoint ckpt;  // none: the bundled vocabulary as SDXL 1.0's encoders use it
  if (!f.model.empty()) {
    std::string config_dir = f.config_dir;
    ckpt = open_checkpoint(resolve_model_path(f.model, &config_dir), config_dir);
  }
  auto config_of = [&](const char* component) {
    auto it = ckpt.components.find(component);
    return it != ckpt.components.end() ? it->second.config : preset_config("sdxl-base", component);
  };
  return Tokenizers{
      tokenizer_for(ckpt.tokenizer_dir, "text_encoder", config_of("text_encoder"), ClipCleaning::Transformers),
      tokenizer_for(ckpt.tokenizer_2_dir, "text_encoder_2", config_of("text_encoder_2"), ClipCleaning::OpenClip)};
}

// The prompts of a prompt file, or sdxl::Error listing every bad line (nothing is printed then).
std::vector<std::string> read_prompts(const std::string& path) {
  std::set<std::string> allowed = request_fields();
  allowed.insert("out");  // a `generate` prompt file tokenizes as it is
  std::vector<std::string> prompts;
  std::string problems;
  for (const auto& line : io::parse_prompt_file(path, allowed)) {
    std::string error = line.error;
    if (error.empty() && !(line.fields.contains("prompt") && line.fields["prompt"].is_string()))
      error = path + ":" + std::to_string(line.line_number) + ": prompt: expected a string";
    if (!error.empty())
      problems += (problems.empty() ? "" : "\n") + error;
    else
      prompts.push_back(line.fields["prompt"].get<std::string>());
  }
  if (!problems.empty()) throw Error(ErrorCategory::Input, "", problems);
  return prompts;
}

void print_result(const Tokenizers& t, const std::string& prompt, bool json) {
  std::vector<int> ids = t.enc1->encode(prompt);
  TokenizedPrompt in1 = t.enc1->model_input(ids), in2 = t.enc2->model_input(t.enc2->encode(prompt));
  const int64_t length = static_cast<int64_t>(ids.size()) + 2;  // with start and end tokens
  if (json) {
    nlohmann::json out = {{"input_ids", {in1.ids77, in2.ids77}}, {"length", length}, {"dropped", in1.dropped}};
    std::cout << out.dump() << "\n";
    return;
  }
  auto print = [](const char* name, const TokenizedPrompt& p) {
    std::cout << name << ":";
    for (auto id : p.ids77) std::cout << " " << id;
    std::cout << "\n";
  };
  print("text_encoder", in1);
  print("text_encoder_2", in2);
  std::cout << "length: " << length << " tokens (limit " << t.enc1->context_length() << " with start and end)\n";
  if (!in1.dropped.empty()) std::cout << "dropped: " << in1.dropped << "\n";
}

int run_tokenize(const TokenizeFlags& f) {
  if (f.prompt_file.empty()) {
    print_result(load_tokenizers(f), f.prompt, f.json);
    return kOk;
  }
  const std::vector<std::string> prompts = read_prompts(f.prompt_file);
  if (prompts.empty()) throw Error(ErrorCategory::Input, "", f.prompt_file + ": no prompts in the file");
  const Tokenizers t = load_tokenizers(f);
  for (size_t i = 0; i < prompts.size(); ++i) {
    if (!f.json) std::cout << (i ? "\n" : "") << "prompt " << i + 1 << ":\n";
    print_result(t, prompts[i], f.json);
  }
  return kOk;
}

}  // namespace

Command add_tokenize(CLI::App& app) {
  auto f = std::make_shared<TokenizeFlags>();
  auto* sub = app.add_subcommand("tokenize", "Show the CLIP token ids of a prompt for both text encoders");
  sub->add_option("--model,-m", f->model, "Checkpoint whose tokenizers to use (default: the bundled CLIP vocabulary)");
  sub->add_option("--config", f->config_dir, "Config folder for a single-file checkpoint");
  auto* prompt = sub->add_option("--prompt,-p", f->prompt, "Prompt text");
  auto* file = sub->add_option("--prompt-file", f->prompt_file,
                               "Tokenize every prompt of a .txt/.jsonl file (one result per prompt, in order)");
  prompt->excludes(file);
  sub->add_flag("--json", f->json, "One JSON object per prompt: input_ids, length, dropped");
  sub->callback([prompt, file] {
    if (prompt->count() + file->count() == 0) throw CLI::RequiredError("--prompt or --prompt-file");
  });
  return Command{sub, [f] { return run_tokenize(*f); }};
}

}  // namespace sdxl::cli
