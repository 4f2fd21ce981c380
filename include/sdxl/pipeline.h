// The engine's entry point: load SDXL (base, optional refiner) once, then generate images from requests.
#pragma once
#include <ATen/ATen.h>

#include <array>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sdxl/request.h"

namespace sdxl {

// --device: auto (the first CUDA device when there is one, else the CPU), cpu, or cuda (cuda:N picks one).
enum class DeviceKind { Auto, Cpu, Cuda };
inline constexpr std::array<EnumName<DeviceKind>, 3> kDeviceKindNames{{
    {DeviceKind::Auto, "auto"}, {DeviceKind::Cpu, "cpu"}, {DeviceKind::Cuda, "cuda"}}};
struct DeviceChoice {
  DeviceKind kind = DeviceKind::Auto;
  int index = -1;  // cuda:N; -1: the current CUDA device
  bool operator==(const DeviceChoice& o) const { return kind == o.kind && index == o.index; }
  bool operator!=(const DeviceChoice& o) const { return !(*this == o); }
};
// "auto", "cpu", "cuda", "cuda:N" -> DeviceChoice; anything else is a usage error for field "device".
DeviceChoice parse_device(const std::string& text);
std::string to_string(const DeviceChoice& d);

// --dtype / --vae-dtype. Auto: see PipelineOptions.
enum class DType { Auto, Fp32, Fp16, Bf16 };
inline constexpr std::array<EnumName<DType>, 4> kDTypeNames{{
    {DType::Auto, "auto"}, {DType::Fp32, "fp32"}, {DType::Fp16, "fp16"}, {DType::Bf16, "bf16"}}};
// A name of kDTypeNames or torch's long name (float32, float16, bfloat16); else a usage error for `field`.
DType parse_dtype(const std::string& text, const std::string& field);
const char* to_string(DType d);

struct PipelineOptions {
  std::string model;                 // single .safetensors, diffusers folder, or "tiny"
  std::string config_dir;            // diffusers-style config folder for single files (--config)
  std::string refiner;               // optional refiner checkpoint
  std::string refiner_config_dir;
  DeviceChoice device;               // auto | cpu | cuda | cuda:N
  DType dtype = DType::Auto;         // auto (CPU: bf16 with native BF16, else fp32; fp16 on CUDA) | fp32 | fp16 | bf16
  DType vae_dtype = DType::Auto;     // auto (CPU: as dtype; bf16 on CUDA: the SDXL VAE overflows in fp16)
  bool low_memory = false;           // load each model when its stage starts, release it when done
  std::string vae;                   // standalone AutoencoderKL or AutoencoderTiny replacing the checkpoint's VAE
  std::string preview_vae;           // AutoencoderTiny decoding request.preview images (default: latent-to-RGB)
  std::string lora_dir;              // where <lora:NAME:MULT> prompt tags find NAME.safetensors (recursively)
  std::string embeddings_dir;        // textual-inversion embeddings (clip_l/clip_g): prompt word NAME = DIR/**/NAME.safetensors
  bool reproducible = false;         // the same bytes at any thread count and CPU (pipeline/reproducible.h); dtype auto -> fp32
};

// Progress of one request: stage is "encode", "base", "hires" (second pass of the hires fix), "refiner" or
// "decode".
struct Progress {
  std::string stage;
  int step = 0, total = 0;
  int image = 0, images = 1;
  at::Tensor preview;  // request.preview: uint8 [H,W,3] of the first image's denoised estimate when one is due
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
  std::vector<EmbeddingUse> embeddings;      // --embeddings-dir files whose NAME a prompt of this request uses
  double encode_s = 0, base_s = 0, refiner_s = 0, decode_s = 0;
  // How it ran, for the PNG metadata: {"dtype", "vae_dtype", "device", and with --vae "vae", "vae_kind"}.
  nlohmann::json runtime;
};

// The request defaults `options.model` asks for: its scheduler class picks the sampler (a Turbo folder's
// EulerAncestralDiscreteScheduler -> euler_a, an LCM folder's LCMScheduler -> lcm; euler when the class is
// unknown or there is no scheduler config) and use_karras_sigmas turns on --karras. Reads headers only.
GenerationRequest model_default_request(const PipelineOptions& options);

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
  // When --dtype/--vae-dtype "auto" picked a CPU dtype: one line saying which and why; else "".
  std::string placement_note() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sdxl
