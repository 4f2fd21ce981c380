// The engine's entry point: load SDXL (base, optional refiner) once, then generate images from requests.
#pragma once
#include <ATen/ATen.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sdxl/request.h"

namespace sdxl {

struct PipelineOptions {
  std::string model;                 // single .safetensors, diffusers folder, or "tiny"
  std::string config_dir;            // diffusers-style config folder for single files (--config)
  std::string refiner;               // optional refiner checkpoint
  std::string refiner_config_dir;
  std::string device = "auto";       // auto | cpu | cuda | cuda:N
  std::string dtype = "auto";        // auto (fp32 on CPU, fp16 on CUDA) | fp32 | fp16 | bf16
  std::string vae_dtype = "auto";    // auto (fp32 on CPU, bf16 on CUDA: the SDXL VAE overflows in fp16)
  bool low_memory = false;           // load each model when its stage starts, release it when done
  std::string lora_dir;              // where <lora:NAME:MULT> prompt tags find NAME.safetensors (recursively)
  std::string embeddings_dir;        // textual-inversion embeddings (clip_l/clip_g): prompt word NAME = DIR/**/NAME.safetensors
};

// Progress of one request: stage is "encode", "base", "refiner" or "decode".
struct Progress {
  std::string stage;
  int step = 0, total = 0;
  int image = 0, images = 1;
};
using ProgressCallback = std::function<void(const Progress&)>;

struct GenerationResult {
  at::Tensor images;                 // uint8 [B,H,W,3] on CPU
  at::Tensor decoded;                // float32 [B,3,H,W] raw VAE output (CPU), before clamping and rounding
  at::Tensor latents;                // float32 [B,4,H/8,W/8] final latents (CPU)
  at::Tensor base_latents;           // with a refiner: the base stage's last latents
  std::vector<at::Tensor> trajectory;  // with save_trajectory: latents after each step
  std::vector<uint64_t> seeds;       // seed of each image (per-image noise: seed + i)
  GenerationRequest request;         // the request as run (seed filled in; <lora:...> tags moved from the
                                     // prompt into `loras`, each with its file hashes)
  std::vector<std::string> warnings;
  std::vector<std::string> adapter_reports;  // one line per LoRA file read for this request ("lora a.safetensors ×0.8: ...")
  std::vector<std::string> adapter_skipped;  // "file: key" for tensors of those files that matched no weight
  double encode_s = 0, base_s = 0, refiner_s = 0, decode_s = 0;
};

class Pipeline {
 public:
  explicit Pipeline(const PipelineOptions& options);
  // Checks the device and dtype options without loading anything (usage errors naming the option).
  static void check_options(const PipelineOptions& options);
  ~Pipeline();
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  GenerationResult generate(const GenerationRequest& request, const ProgressCallback& progress = nullptr);

  // Reads LoRA files and matches them against the base model ahead of generation (each file once per
  // pipeline). Returns one report line per file read now; `skipped` receives "file: key" for tensors that
  // matched no weight. Throws sdxl::Error for a file that cannot be used (unreadable, unmatched, mis-shaped).
  std::vector<std::string> load_loras(const std::vector<LoraSpec>& loras, std::vector<std::string>* skipped = nullptr);
  // The request's LoRA files: its `loras` and those its <lora:NAME:MULT> prompt tags name (found in
  // options.lora_dir). Throws sdxl::Error for an unknown NAME (listing close matches) or a malformed tag.
  std::vector<LoraSpec> request_loras(const GenerationRequest& request) const;

  std::string model_name() const;   // the --model path as given
  double load_s() const;            // seconds spent loading models

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sdxl
