#include "cli/generate_flags.h"

namespace sdxl::cli {

void add_generate_flags(CLI::App& app, GenerateFlags& f) {
  f.request.add_to(app);
  f.control.add_to(app);
  app.add_option("--model,-m", f.spec.pipeline.model,
                 "Checkpoint: .safetensors single file, diffusers folder, or 'tiny' (bundled smoke-test model). "
                 "Default: the one recorded by --from-png, else the one base model in weights/")->group("Model");
  app.add_option("--config", f.spec.pipeline.config_dir, "Diffusers-style config folder for a single-file checkpoint")->group("Model");
  app.add_option("--refiner", f.spec.pipeline.refiner, "Refiner checkpoint (enables the refiner stage; default: the one recorded by --from-png)")->group("Model");
  app.add_option("--refiner-config", f.spec.pipeline.refiner_config_dir, "Config folder for the refiner")->group("Model");
  app.add_flag("--low-memory", f.spec.pipeline.low_memory, "Release each model as soon as its stage is done")->group("Model");
  app.add_option("--preview-vae", f.spec.pipeline.preview_vae,
                 "Tiny autoencoder (TAESDXL) decoding the --preview images at full size")
      ->group("Model");
  app.add_option("--vae", f.spec.pipeline.vae,
                 "Standalone VAE replacing the checkpoint's: AutoencoderKL (file or vae/ folder) or AutoencoderTiny "
                 "(taesdxl_decoder.safetensors, or a diffusers folder), detected by tensor names")
      ->group("Model");
  app.add_option("--lora", f.loras, "LoRA/LyCORIS .safetensors FILE[:MULTIPLIER] (repeatable; default multiplier 1)")
      ->group("Model");
  add_ip_adapter_flags(app, f.ip_adapters);
  app.add_option("--lora-dir", f.spec.pipeline.lora_dir, "Folder searched (recursively) for <lora:NAME:MULT> prompt tags")
      ->group("Model");
  app.add_option("--embeddings-dir", f.spec.pipeline.embeddings_dir,
                 "Textual-inversion embeddings (clip_l/clip_g .safetensors): a prompt word NAME uses DIR/**/NAME.safetensors")
      ->group("Model");
  add_runtime_flags(app, f.runtime, &f.spec.pipeline);
  app.add_option("--out,-o", f.spec.output.out, "Output .png (single request; default: --name in --out-dir)")->group("Output");
  app.add_option("--out-dir", f.spec.output.out_dir, "Output folder, created with its parents when missing")
      ->capture_default_str()->group("Output");
  app.add_option("--name", f.spec.output.name_template,
                 "Output name template: {index:05d} (item in the prompt file) {image} (image within the item) {seed} "
                 "{prompt:.40} {steps} {sampler} {cfg} {width} {height} {model}")
      ->capture_default_str()->group("Output");
  app.add_flag("--overwrite", f.spec.output.overwrite, "Replace existing outputs")->group("Output");
  app.add_flag("--resume", f.spec.output.resume, "Skip items whose outputs exist")->group("Output");
  app.add_option("--prompt-file", f.spec.prompt_file,
                 ".txt (one prompt per line) or .jsonl (one request per line; the flags are its defaults)")->group("Output");
  app.add_option("--shard", f.spec.shard,
                 "K/N: run every N-th item starting at K; auto (or auto/N): K and N from Slurm array, Kubernetes "
                 "Indexed Job (JOB_COMPLETION_INDEX, N given) or SHARD_INDEX/SHARD_COUNT variables")->group("Output");
  app.add_option("--from-png", f.spec.from_png, "Re-run the request recorded in a PNG, with its model and refiner (flags override them)")->group("Output");
  app.add_option("--metadata", f.metadata, "full | none: PNG text chunks")->capture_default_str()->group("Output");
  app.add_flag("--json", f.json, "One JSON line per written image on stdout")->group("Output");
  app.add_flag("--grid", f.spec.grid, "Also write grid.png, a contact sheet of the batch")->group("Output");
  app.add_flag("--quiet,-q", f.quiet, "No progress output")->group("Output");
  app.add_flag("--verbose", f.spec.verbose,
               "List the tensors of LoRA files that matched no model weight and the files of --embeddings-dir that are "
               "not embeddings")
      ->group("Output");
}

}  // namespace sdxl::cli
