// /metrics: the Prometheus text exposition format (version 0.0.4) of the server's counters and gauges.
#pragma once
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "server/job_queue.h"

namespace sdxl::server {

class Metrics {
 public:
  // One finished HTTP request; `endpoint` is a registered route or "other" (so odd paths cannot grow the
  // label set).
  void count_request(const std::string& endpoint, int status);
  std::string render(const QueueMetrics& queue, double model_load_s, double rss_mb) const;

 private:
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, int>, long> requests_;
};

}  // namespace sdxl::server
