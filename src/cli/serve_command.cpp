// `sdxl-gen serve`: the model flags of generate plus the server's own; loads the models once, then serves
// the web-UI and OpenAI APIs and the page (src/server/) until SIGINT/SIGTERM.
//
// Signals: the first SIGINT/SIGTERM stops listening, fails the queued jobs (503) and interrupts the running
// job after its current step (its client gets the images finished so far); the command then exits 130 when a
// job was interrupted, else 0. A second signal exits at once (cli/interrupt.h).
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <iostream>
#include <thread>

#include "batch/plan.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/fault_injection.h"
#include "cli/interrupt.h"
#include "cli/progress.h"
#include "cli/runtime.h"
#include "cli/version.h"
#include "common/error.h"
#include "common/strings.h"
#include "server/http_server.h"

namespace sdxl::cli {
namespace {

struct ServeFlags {
  PipelineOptions pipeline;
  RuntimeFlags runtime;
  server::ServerOptions server;
  std::string api_key_file, models_dir;
};

bool is_loopback(const std::string& host) {
  return host == "127.0.0.1" || host == "localhost" || host == "::1" || starts_with(host, "127.");
}

std::string read_key_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw input_error("api_key_file", "cannot read " + path);
  std::string key;
  std::getline(in, key);
  key = std::string(ascii_trim(key));
  if (key.empty()) throw input_error("api_key_file", path + " holds no key on its first line");
  return key;
}

int run_serve(ServeFlags& f) {
  apply_runtime(f.runtime);
  Pipeline::check_options(f.pipeline);
  if (f.server.port < 0 || f.server.port > 65535) throw usage_error("port", "must be in 0..65535");
  if (f.server.max_queue < 1) throw usage_error("max_queue", "must be >= 1");
  if (f.server.max_body_mb < 1) throw usage_error("max_body_mb", "must be >= 1");
  if (!f.api_key_file.empty()) f.server.api_key = read_key_file(f.api_key_file);
  struct stat st {};
  if (!f.models_dir.empty() && (stat(f.models_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)))
    throw input_error("models_dir", f.models_dir + " is not a folder");
  if (!f.server.save_dir.empty()) batch::prepare_output_dir(f.server.save_dir, "save_dir");
  if (!is_loopback(f.server.host) && f.server.api_key.empty())
    std::cerr << "sdxl-gen serve: warning: listening on " << f.server.host
              << " without --api-key: anyone who can reach this port can use the server\n";

  server::EngineOptions engine_options;
  engine_options.pipeline = f.pipeline;
  engine_options.version = version_line();
  engine_options.models_dir = f.models_dir;
  server::Engine engine(engine_options);  // finds the model; it loads once the port is open

  f.server.lora_dir = f.pipeline.lora_dir;
  f.server.embeddings_dir = f.pipeline.embeddings_dir;
  f.server.limits.has_refiner = !f.pipeline.refiner.empty();
  f.server.limits.has_save_dir = !f.server.save_dir.empty();
  f.server.rss_mb = current_rss_mb;
  server::Server server(engine, f.server);
  const int port = server.bind();
  install_interrupt_handlers();
  std::atomic<bool> done{false};
  std::thread watcher([&] {
    while (!done) {
      if (interrupt_requested()) {
        std::cerr << "sdxl-gen serve: stopping (signal)\n";
        server.stop();
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  // The port opens before the models load: /health answers 503 {"status":"loading"} until they are in, and
  // requests wait in the queue. Tests and scripts read the port from this line (--port 0 picks a free one).
  std::cerr << "sdxl-gen serve: listening on http://" << f.server.host << ":" << port << std::endl;
  bool interrupted_job = false;
  std::thread http([&] { interrupted_job = server.run(); });
  server.wait_listening();  // (a stop before the loop starts would be missed)
  auto finish = [&] {
    server.stop();
    http.join();
    done = true;
    watcher.join();
  };
  try {
    before_serve_load();
    std::cerr << "sdxl-gen serve: loading " << engine.checkpoints().front().path << "\n";
    engine.switch_to("");
  } catch (...) {
    finish();  // a model that cannot be loaded ends the server with the CLI's exit code for its error
    throw;
  }
  std::cerr << "sdxl-gen serve: loaded in " << engine.load_s() << " s; ready" << std::endl;
  server.open();
  http.join();
  done = true;
  watcher.join();
  return interrupted_job ? kInterrupted : kOk;
}

}  // namespace

Command add_serve(CLI::App& app) {
  auto f = std::make_shared<ServeFlags>();
  auto* sub = app.add_subcommand("serve", "Serve the web-UI (/sdapi/v1) and OpenAI (/v1/images) APIs and a page at /");
  sub->add_option("--model,-m", f->pipeline.model, "Checkpoint (as generate's --model; default: the one base model in weights/)")->group("Model");
  sub->add_option("--config", f->pipeline.config_dir, "Diffusers-style config folder for a single-file checkpoint")->group("Model");
  sub->add_option("--refiner", f->pipeline.refiner, "Refiner checkpoint (every request then runs the refiner stage)")->group("Model");
  sub->add_option("--refiner-config", f->pipeline.refiner_config_dir, "Config folder for the refiner")->group("Model");
  sub->add_option("--vae", f->pipeline.vae, "Standalone VAE replacing the checkpoint's")->group("Model");
  sub->add_option("--preview-vae", f->pipeline.preview_vae, "Tiny autoencoder (TAESDXL) for the progress previews")->group("Model");
  sub->add_option("--lora-dir", f->pipeline.lora_dir, "Folder <lora:NAME:W> prompt tags resolve in (the only one)")->group("Model");
  sub->add_option("--embeddings-dir", f->pipeline.embeddings_dir, "Textual-inversion embeddings folder")->group("Model");
  sub->add_flag("--low-memory", f->pipeline.low_memory, "Load each model for its stage only (slower per request)")->group("Model");
  add_runtime_flags(*sub, f->runtime, &f->pipeline);
  sub->add_option("--host", f->server.host, "Address to listen on (default 127.0.0.1: this machine only)")->capture_default_str()->group("Server");
  sub->add_option("--port", f->server.port, "Port (0: any free port, printed on stderr)")->capture_default_str()->group("Server");
  sub->add_option("--api-key", f->server.api_key, "Require Authorization: Bearer KEY (or HTTP Basic with password KEY) on all but /health")
      ->group("Server");
  sub->add_option("--api-key-file", f->api_key_file, "Read the API key from the first line of a file")->group("Server");
  sub->add_option("--models-dir", f->models_dir, "Checkpoints clients may switch to (sd_model_checkpoint, OpenAI model)")->group("Server");
  sub->add_option("--max-queue", f->server.max_queue, "Jobs that may wait besides the running one (more: 503)")->capture_default_str()->group("Server");
  sub->add_option("--max-body-mb", f->server.max_body_mb, "Largest request body in MiB (more: 413)")->capture_default_str()->group("Server");
  sub->add_option("--save-dir", f->server.save_dir, "Where save_images and response_format=url write PNGs (nowhere else is written)")->group("Server");
  sub->add_option("--cors-origin", f->server.cors_origin, "Allow browser pages from this origin (Access-Control-Allow-Origin)")->group("Server");
  sub->add_flag("--verbose", f->server.verbose, "Access log lines also show the prompt")->group("Server");
  sub->get_option("--api-key-file")->excludes(sub->get_option("--api-key"));
  return Command{sub, [f] { return run_serve(*f); }};
}

}  // namespace sdxl::cli
