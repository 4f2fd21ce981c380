// `sdxl-gen encode`: prompt embeddings as the UNet receives them, written to a safetensors file so they
// can be cached and inspected (float32 context, pooled, negative_context, negative_pooled).
#include <iostream>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/runtime.h"
#include "io/paths.h"
#include "io/safetensors.h"
#include "pipeline/model_set.h"
#include "run/model_path.h"

namespace sdxl::cli {
namespace {

struct EncodeFlags {
  std::string model, config_dir, prompt, out;
  std::optional<std::string> prompt_2, negative_prompt, negative_prompt_2;
  bool refiner = false, overwrite = false;
  RuntimeFlags runtime;
};

int run_encode(const EncodeFlags& f) {
  apply_runtime(f.runtime);
  // The one rule for every file sdxl-gen writes: an existing one is replaced only when asked (checked
  // before the model loads).
  if (!f.overwrite && io::path_exists(f.out)) throw UsageError("--out: " + f.out + " exists; use --overwrite to replace it");
  c10::InferenceMode inference;
  std::string config_dir = f.config_dir;
  Checkpoint ckpt = open_checkpoint(resolve_model_path(f.model, &config_dir), config_dir);
  const ModelKind kind = f.refiner ? ModelKind::Refiner : ckpt.kind;
  auto text = load_text_conditioner(ckpt, Placement{}, kind, nullptr);
  EncodedPrompts e = text->encode(PromptRequest{f.prompt, f.prompt_2, f.negative_prompt, f.negative_prompt_2});
  for (const auto& w : e.warnings) std::cerr << "warning: " << w << "\n";
  io::save_safetensors(f.out, {{"context", e.positive.context.to(at::kFloat)},
                               {"pooled", e.positive.pooled.to(at::kFloat)},
                               {"negative_context", e.negative.context.to(at::kFloat)},
                               {"negative_pooled", e.negative.pooled.to(at::kFloat)}});
  std::cerr << "wrote " << f.out << ": context " << e.positive.context.sizes() << ", pooled "
            << e.positive.pooled.sizes() << "\n";
  return 0;
}

}  // namespace

Command add_encode(CLI::App& app) {
  auto f = std::make_shared<EncodeFlags>();
  auto* sub = app.add_subcommand("encode", "Write the prompt embeddings (context, pooled, negatives) to a file");
  sub->add_option("--model,-m", f->model, "Checkpoint (single file, diffusers folder or 'tiny')")->required();
  sub->add_option("--config", f->config_dir, "Config folder for a single-file checkpoint");
  sub->add_option("--prompt,-p", f->prompt, "Prompt")->required();
  sub->add_option("--prompt-2", f->prompt_2, "Prompt for text encoder 2");
  sub->add_option("--negative-prompt,-n", f->negative_prompt,
                  "Negative prompt (absent: zeros on a base model, the encoding of \"\" on a refiner)");
  sub->add_option("--negative-prompt-2", f->negative_prompt_2, "Negative prompt for text encoder 2");
  sub->add_flag("--refiner", f->refiner, "Encode as the refiner does (text encoder 2 only)");
  sub->add_option("--out,-o", f->out, "Output .safetensors")->required();
  sub->add_flag("--overwrite", f->overwrite, "Replace an existing --out");
  add_runtime_flags(*sub, f->runtime, nullptr);
  return Command{sub, [f] { return run_encode(*f); }};
}

}  // namespace sdxl::cli
