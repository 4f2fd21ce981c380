// Human-readable progress on stderr: one line per update, rewritten in place on a terminal, plain lines
// otherwise (logs). Never forces a device synchronisation: it only reports steps the pipeline announces.
#pragma once
#include <chrono>
#include <string>

#include "sdxl/pipeline.h"

namespace sdxl::cli {

class ProgressPrinter {
 public:
  ProgressPrinter(bool quiet, int batch_items);
  void start_item(int item_position, const std::string& label);
  void update(const Progress& p);
  void finish_item(const std::string& message);
  void note(const std::string& message);  // a line that is not progress (warnings, summaries)

 private:
  bool quiet_, tty_;
  int items_, position_ = 0;
  std::string stage_;
  std::chrono::steady_clock::time_point stage_start_;
  bool line_open_ = false;
};

// Seconds as the summary prints them: "0.56", "1241.90" (two decimals, not the stream's six digits).
std::string seconds_text(double s);
// Peak resident set size of this process in MiB (from /proc/self/status VmHWM).
double peak_rss_mb();
// Current resident set size of this process in MiB (VmRSS).
double current_rss_mb();

}  // namespace sdxl::cli
