#include "server/http_server.h"

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <iostream>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "common/error.h"
#include "common/strings.h"
#include "io/atomic_file.h"
#include "server/client_socket.h"
#include "server/job_queue.h"
#include "server/metrics.h"
#include "server/openai_api.h"
#include "server/page.h"
#include "server/wire.h"

namespace sdxl::server {
namespace {

using Clock = std::chrono::steady_clock;
thread_local std::optional<Clock::time_point> t_request_start;

bool is_openai(const httplib::Request& req) { return starts_with(req.path, "/v1/"); }

// Compares without an early exit, so the time taken does not tell how much of a guessed key was right.
bool same_secret(const std::string& a, const std::string& b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i % (b.empty() ? 1 : b.size())]);
  return diff == 0 && !b.empty();
}

void send_json(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "application/json");
}

// An error in the caller's dialect: OpenAI's {"error": {...}} under /v1/, the web UI's shape elsewhere.
void send_error(const httplib::Request& req, httplib::Response& res, int status, const std::string& message,
                const std::string& field = "") {
  send_json(res, status, is_openai(req) ? openai_error(status, message, field) : webui_error(status, message));
}

int status_for(const Error& e) {
  switch (e.category()) {
    case ErrorCategory::Usage:
    case ErrorCategory::Input: return 422;
    case ErrorCategory::Resource: return 503;
    default: return 500;
  }
}

std::string timestamp_name() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", &tm);
  return buf;
}

}  // namespace

struct Server::Impl {
  Engine& engine;
  ServerOptions options;
  JobQueue queue;
  Metrics metrics;
  httplib::Server http;
  std::set<std::string> routes;
  std::atomic<bool> job_running_at_stop{false};
  std::atomic<long> saved{0};

  Impl(Engine& e, ServerOptions o) : engine(e), options(std::move(o)), queue(e, options.max_queue) {}

  // Runs `job` through the queue: 503 + Retry-After when it is full.
  std::optional<JobResult> run_job(const httplib::Request& req, httplib::Response& res, Job job) {
    auto ticket = queue.submit(std::move(job));
    if (!ticket) {
      res.set_header("Retry-After", "5");
      send_error(req, res, 503, "the queue is full (" + std::to_string(options.max_queue) + " jobs waiting); retry later");
      return std::nullopt;
    }
    // A client that hangs up while its job waits loses the job (nobody would read the images); the
    // connection is gone, so nothing is answered.
    const ClientSocket client(req.remote_addr, req.remote_port, req.local_port);
    auto result = queue.wait(ticket, [&client] { return client.gone(); });
    if (!result) send_error(req, res, 499, "the client closed the connection before its job started");
    return result;
  }

  // Writes each image into --save-dir; returns the file names.
  std::vector<std::string> save(const JobResult& result) {
    std::vector<std::string> names;
    for (const auto& im : result.images) {
      const std::string name = timestamp_name() + "-" + std::to_string(++saved) + "-" + std::to_string(im.seed) + ".png";
      io::write_file_atomic(options.save_dir + "/" + name, im.png);
      names.push_back(name);
    }
    return names;
  }

  void route(const char* method, const std::string& path,
             std::function<void(const httplib::Request&, httplib::Response&)> handler) {
    routes.insert(path);
    auto wrapped = [this, handler](const httplib::Request& req, httplib::Response& res) {
      try {
        handler(req, res);
      } catch (const WireError& e) {
        send_error(req, res, e.status, e.what(), e.field);
      } catch (const Error& e) {
        send_error(req, res, status_for(e), e.what(), e.field());
      } catch (const std::exception& e) {
        send_error(req, res, 500, std::string("internal error: ") + e.what());
      }
    };
    if (std::string(method) == "GET") http.Get(path, wrapped);
    else http.Post(path, wrapped);
  }

  bool authorised(const httplib::Request& req) const {
    if (options.api_key.empty()) return true;
    const std::string auth = req.get_header_value("Authorization");
    if (starts_with(auth, "Bearer ")) return same_secret(auth.substr(7), options.api_key);
    if (starts_with(auth, "Basic ")) {
      try {
        const std::string userpass = base64_decode(auth.substr(6), "Authorization");
        const auto colon = userpass.find(':');
        return colon != std::string::npos && same_secret(userpass.substr(colon + 1), options.api_key);
      } catch (const WireError&) {
        return false;
      }
    }
    return false;
  }

  void install();
  void install_webui();
  void install_openai();
};

void Server::Impl::install() {
  http.new_task_queue = [n = options.max_queue + 16] { return new httplib::ThreadPool(static_cast<size_t>(n)); };
  http.set_payload_max_length(static_cast<size_t>(options.max_body_mb) * 1024 * 1024);
  http.set_read_timeout(15);  // a client that stops sending (slow-loris) frees its thread after 15 s
  http.set_write_timeout(30);
  http.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    t_request_start = Clock::now();
    if (!options.cors_origin.empty()) {
      res.set_header("Access-Control-Allow-Origin", options.cors_origin);
      res.set_header("Access-Control-Allow-Headers", "Authorization, Content-Type");
      res.set_header("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
      if (req.method == "OPTIONS") {
        res.status = 204;
        return httplib::Server::HandlerResponse::Handled;
      }
    }
    if (req.path == "/health" || authorised(req)) return httplib::Server::HandlerResponse::Unhandled;
    res.set_header("WWW-Authenticate", "Basic realm=\"sdxl-gen\"");
    send_error(req, res, 401, req.has_header("Authorization") ? "invalid API key" : "Not authenticated");
    return httplib::Server::HandlerResponse::Handled;
  });
  http.set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    const std::string message = res.status == 404   ? "Not Found"
                                : res.status == 413 ? "the request body is larger than --max-body-mb"
                                : res.status == 405 ? "Method Not Allowed"
                                                    : "the request could not be read";
    send_error(req, res, res.status, message);
    return httplib::Server::HandlerResponse::Handled;
  }));
  http.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
    const std::string endpoint = routes.count(req.path) ? req.path : "other";
    metrics.count_request(endpoint, res.status);
    std::ostringstream line;
    line << "sdxl-gen serve: " << req.remote_addr << " " << req.method << " " << (routes.count(req.path) ? req.path : "(other)")
         << " " << res.status << " ";
    if (t_request_start)
      line << std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - *t_request_start).count() << " ms";
    else
      line << "- ms";
    t_request_start.reset();
    // Prompts are private to the client unless the operator asks (--verbose).
    if (options.verbose && !req.body.empty() && req.body.size() < 4096 && req.get_header_value("Content-Type") == "application/json") {
      const auto j = nlohmann::json::parse(req.body, nullptr, false);
      if (j.is_object() && j.contains("prompt") && j["prompt"].is_string()) line << " prompt=" << nlohmann::json(j["prompt"]).dump();
    }
    std::cerr << line.str() + "\n" << std::flush;
  });

  // Open before the models load (a readiness probe sees the state): 503 while a model set loads, at start
  // and during a checkpoint switch.
  route("GET", "/health", [this](const httplib::Request&, httplib::Response& res) {
    if (engine.loading()) return send_json(res, 503, {{"status", "loading"}});
    send_json(res, 200, {{"status", "ok"}, {"model", engine.current_checkpoint()}});
  });
  route("GET", "/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics.render(queue.metrics(), engine.load_s(), options.rss_mb ? options.rss_mb() : 0.0),
                    "text/plain; version=0.0.4");
  });
  route("GET", "/", [](const httplib::Request&, httplib::Response& res) { res.set_content(page_html(), "text/html; charset=utf-8"); });
  routes.insert("/outputs/");
  http.Get(R"(/outputs/([A-Za-z0-9_.-]+\.png))", [this](const httplib::Request& req, httplib::Response& res) {
    const std::string name = req.matches[1];
    if (options.save_dir.empty() || name.find("..") != std::string::npos) return send_error(req, res, 404, "Not Found");
    try {
      res.set_content(io::read_file(options.save_dir + "/" + name), "image/png");
    } catch (const std::exception&) {
      send_error(req, res, 404, "Not Found");
    }
  });
  install_webui();
  install_openai();
}

void Server::Impl::install_webui() {
  auto list = [this](const std::string& path, std::function<nlohmann::json()> make) {
    route("GET", path, [make](const httplib::Request&, httplib::Response& res) { send_json(res, 200, make()); });
  };
  list("/sdapi/v1/samplers", webui_samplers);
  list("/sdapi/v1/schedulers", webui_schedulers);
  list("/sdapi/v1/upscalers", webui_upscalers);
  list("/sdapi/v1/latent-upscale-modes", webui_latent_upscale_modes);
  list("/sdapi/v1/sd-models", [this] { return webui_sd_models(engine.checkpoints()); });
  list("/sdapi/v1/loras", [this] { return webui_loras(options.lora_dir); });
  list("/sdapi/v1/embeddings", [this] { return webui_embeddings(options.embeddings_dir); });
  list("/sdapi/v1/sd-vae", [] { return nlohmann::json::array(); });
  list("/sdapi/v1/scripts", [] { return nlohmann::json{{"txt2img", nlohmann::json::array()}, {"img2img", nlohmann::json::array()}}; });
  list("/sdapi/v1/memory", [this] {
    const double rss = options.rss_mb ? options.rss_mb() * 1024 * 1024 : 0.0;
    return nlohmann::json{{"ram", {{"used", rss}}}, {"cuda", {{"error", "not reported"}}}};
  });
  list("/sdapi/v1/options", [this] {
    return nlohmann::json{{"sd_model_checkpoint", engine.current_checkpoint()}, {"sd_vae", "Automatic"},
                          {"samples_format", "png"}, {"sd_checkpoints_limit", 1}};
  });
  list("/sdapi/v1/progress", [this] { return webui_progress(queue.progress()); });

  auto empty_post = [this](const std::string& path, std::function<void()> action) {
    route("POST", path, [action](const httplib::Request&, httplib::Response& res) {
      action();
      send_json(res, 200, nlohmann::json::object());
    });
  };
  empty_post("/sdapi/v1/interrupt", [this] { queue.interrupt(); });
  empty_post("/sdapi/v1/skip", [this] { queue.skip(); });
  empty_post("/sdapi/v1/refresh-checkpoints", [] {});  // the lists are read from disk on every request
  empty_post("/sdapi/v1/refresh-loras", [] {});

  route("POST", "/sdapi/v1/options", [this](const httplib::Request& req, httplib::Response& res) {
    const nlohmann::json body = parse_json_object(req.body);
    if (auto vae = opt_string(body, "sd_vae"))
      if (!vae->empty() && ascii_lower(*vae) != "automatic" && ascii_lower(*vae) != "none")
        throw WireError(422, "sd_vae", "the VAE is chosen when the server starts (--vae); only Automatic");
    if (auto ckpt = opt_string(body, "sd_model_checkpoint")) {
      std::string name = *ckpt;
      if (const auto bracket = name.find(" ["); bracket != std::string::npos) name.resize(bracket);
      bool known = false;
      for (const auto& c : engine.checkpoints()) known = known || c.name == name;
      if (!known) throw WireError(422, "sd_model_checkpoint", "unknown checkpoint '" + name + "' (see /sdapi/v1/sd-models)");
      Job job;  // no images: the switch runs in turn with the generations
      job.count = 0;
      job.checkpoint = name;
      if (!run_job(req, res, std::move(job))) return;
    }
    send_json(res, 200, nlohmann::json::object());
  });
  route("POST", "/sdapi/v1/png-info", [](const httplib::Request& req, httplib::Response& res) {
    send_json(res, 200, webui_png_info(parse_json_object(req.body)));
  });
  for (const bool img2img : {false, true}) {
    route("POST", img2img ? "/sdapi/v1/img2img" : "/sdapi/v1/txt2img", [this, img2img](const httplib::Request& req, httplib::Response& res) {
      const nlohmann::json body = parse_json_object(req.body);
      const GenerationRequest defaults = engine.model_defaults();
      WebuiRequest w = img2img ? webui_img2img(body, defaults, options.limits) : webui_txt2img(body, defaults, options.limits);
      auto result = run_job(req, res, w.job);
      if (!result) return;
      if (w.save_images)
        for (const auto& name : save(*result)) result->warnings.push_back("saved " + name);
      send_json(res, 200, webui_response(w, *result, engine.current_checkpoint()));
    });
  }
}

void Server::Impl::install_openai() {
  route("GET", "/v1/models", [this](const httplib::Request&, httplib::Response& res) {
    send_json(res, 200, openai_models(engine.checkpoints()));
  });
  auto finish = [this](const httplib::Request& req, httplib::Response& res, OpenaiRequest o) {
    auto result = run_job(req, res, o.job);
    if (!result) return;
    std::vector<std::string> urls;
    if (o.url) {
      const std::string host = req.get_header_value("Host");
      for (const auto& name : save(*result)) urls.push_back("http://" + host + "/outputs/" + name);
    }
    send_json(res, 200, openai_response(*result, urls));
  };
  route("POST", "/v1/images/generations", [this, finish](const httplib::Request& req, httplib::Response& res) {
    const nlohmann::json body = parse_json_object(req.body);
    finish(req, res, openai_generation(body, engine.model_defaults(), options.limits, engine.checkpoints()));
  });
  route("POST", "/v1/images/edits", [this, finish](const httplib::Request& req, httplib::Response& res) {
    if (!req.is_multipart_form_data()) throw WireError(400, "", "expected a multipart/form-data body (image, mask, prompt, ...)");
    nlohmann::json fields = nlohmann::json::object();
    std::optional<std::string> image, mask;
    for (const auto& [key, part] : req.files) {
      if (key == "image" || key == "image[]") {
        if (!image) image = part.content;
      } else if (key == "mask") {
        mask = part.content;
      } else {
        fields[key] = openai_form_value(key, part.content);
      }
    }
    if (!image) throw WireError(400, "image", "is required (a PNG or JPEG file part)");
    finish(req, res, openai_edit(fields, *image, mask, engine.model_defaults(), options.limits, engine.checkpoints()));
  });
}

Server::Server(Engine& engine, ServerOptions options) : impl_(std::make_unique<Impl>(engine, std::move(options))) {
  impl_->install();
}

Server::~Server() { stop(); }

int Server::bind() {
  const auto& o = impl_->options;
  const int port = o.port == 0 ? impl_->http.bind_to_any_port(o.host) : (impl_->http.bind_to_port(o.host, o.port) ? o.port : -1);
  if (port <= 0)
    throw Error(ErrorCategory::Resource, "port", "cannot listen on " + o.host + ":" + std::to_string(o.port) +
                                                     " (in use, or not an address of this machine)");
  return port;
}

void Server::open() { impl_->queue.open(); }

void Server::wait_listening() {
  for (int i = 0; i < 1000 && !impl_->http.is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

bool Server::run() {
  impl_->http.listen_after_bind();
  return impl_->job_running_at_stop;
}

void Server::stop() {
  if (impl_->queue.shutdown()) impl_->job_running_at_stop = true;
  impl_->http.stop();
}

}  // namespace sdxl::server
