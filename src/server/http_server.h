// `sdxl-gen serve`'s HTTP side: cpp-httplib serving the web UI API, the OpenAI images API, the page, /health
// and /metrics over one Engine and its JobQueue; authentication, body limits, the access log.
#pragma once
#include <functional>
#include <memory>
#include <string>

#include "server/engine.h"
#include "server/webui_api.h"

namespace sdxl::server {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 7860;              // 0: any free port (the bound one is printed)
  std::string api_key;          // "" = no authentication
  int max_queue = 16;           // jobs waiting besides the running one; more -> 503 + Retry-After
  long max_body_mb = 64;        // larger bodies -> 413
  std::string save_dir;         // save_images / response_format=url write here ("" = never written)
  std::string cors_origin;      // Access-Control-Allow-Origin ("" = no CORS headers)
  bool verbose = false;         // access log lines also carry the prompt
  std::string lora_dir, embeddings_dir;  // listed by /sdapi/v1/loras, /embeddings
  RequestLimits limits;
  std::function<double()> rss_mb;  // resident memory for /metrics and /sdapi/v1/memory
};

class Server {
 public:
  Server(Engine& engine, ServerOptions options);
  ~Server();
  // Binds the listening socket; returns the port (the chosen one when options.port is 0). Throws
  // sdxl::Error (Resource) when the address cannot be bound.
  int bind();
  // The models are loaded: queued and new jobs run from now on (until then they wait; /health says 503).
  void open();
  // Serves until stop(); returns whether a job was running when it stopped.
  // wait_listening(): after starting run() on another thread, until it accepts connections (at most 10 s).
  void wait_listening();
  bool run();
  // Thread-safe: stops listening, fails queued jobs (503), interrupts the running one after its current step.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sdxl::server
