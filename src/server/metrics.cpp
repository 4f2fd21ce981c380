#include "server/metrics.h"

#include <sstream>

namespace sdxl::server {

void Metrics::count_request(const std::string& endpoint, int status) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++requests_[{endpoint, status}];
}

std::string Metrics::render(const QueueMetrics& q, double model_load_s, double rss_mb) const {
  std::ostringstream o;
  auto metric = [&](const char* name, const char* type, const char* help) {
    o << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n";
  };
  metric("sdxl_http_requests_total", "counter", "HTTP requests answered, by endpoint and status.");
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& [key, n] : requests_)
      o << "sdxl_http_requests_total{endpoint=\"" << key.first << "\",status=\"" << key.second << "\"} " << n << "\n";
  }
  metric("sdxl_images_total", "counter", "Images generated.");
  o << "sdxl_images_total " << q.images << "\n";
  metric("sdxl_jobs_total", "counter", "Generation jobs run, by result.");
  o << "sdxl_jobs_total{result=\"done\"} " << q.jobs_done << "\nsdxl_jobs_total{result=\"failed\"} " << q.jobs_failed
    << "\nsdxl_jobs_total{result=\"dropped\"} " << q.jobs_dropped << "\n";
  metric("sdxl_queue_rejected_total", "counter", "Jobs refused because the queue was full (HTTP 503).");
  o << "sdxl_queue_rejected_total " << q.rejected_full << "\n";
  metric("sdxl_queue_depth", "gauge", "Jobs waiting (not counting the running one).");
  o << "sdxl_queue_depth " << q.depth << "\n";
  metric("sdxl_current_step", "gauge", "Sampling step of the running job (0 when idle).");
  o << "sdxl_current_step " << q.current_step << "\n";
  metric("sdxl_seconds_per_step", "gauge", "Seconds the last sampling step took.");
  o << "sdxl_seconds_per_step " << q.seconds_per_step << "\n";
  metric("sdxl_model_load_seconds", "gauge", "Seconds the last model load took.");
  o << "sdxl_model_load_seconds " << model_load_s << "\n";
  metric("sdxl_resident_memory_bytes", "gauge", "Resident set size of the server process.");
  o << "sdxl_resident_memory_bytes " << static_cast<long long>(rss_mb * 1024 * 1024) << "\n";
  return o.str();
}

}  // namespace sdxl::server
