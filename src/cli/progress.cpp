#include "cli/progress.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

namespace sdxl::cli {

ProgressPrinter::ProgressPrinter(bool quiet, int batch_items)
    : quiet_(quiet), tty_(isatty(STDERR_FILENO) != 0), items_(batch_items) {}

void ProgressPrinter::start_item(int item_position, const std::string& label) {
  position_ = item_position;
  stage_.clear();
  if (!quiet_) note("[" + std::to_string(position_ + 1) + "/" + std::to_string(items_) + "] " + label);
}

void ProgressPrinter::update(const Progress& p) {
  if (quiet_) return;
  auto now = std::chrono::steady_clock::now();
  const std::string stage = p.stage + "/" + std::to_string(p.image);  // each image's pass has its own rate
  if (stage != stage_) {
    stage_ = stage;
    stage_start_ = now;
  }
  const double elapsed = std::chrono::duration<double>(now - stage_start_).count();
  std::ostringstream o;
  o << "  " << p.stage;
  if (p.images > 1) o << " image " << p.image + 1 << "/" << p.images;
  if (p.total > 0) {
    o << " step " << p.step << "/" << p.total;
    if (p.step > 0 && elapsed > 0) {
      const double rate = p.step / elapsed;
      char buf[64];
      std::snprintf(buf, sizeof buf, "  %.2f it/s  ETA %.0fs", rate, (p.total - p.step) / rate);
      o << buf;
    }
  }
  if (items_ > 1) o << "  [item " << position_ + 1 << "/" << items_ << "]";
  if (tty_) {
    std::cerr << "\r\033[K" << o.str() << std::flush;
    line_open_ = true;
  } else {
    std::cerr << o.str() << "\n";
  }
}

void ProgressPrinter::finish_item(const std::string& message) { note(message); }

void ProgressPrinter::note(const std::string& message) {
  if (line_open_) {
    std::cerr << "\r\033[K";
    line_open_ = false;
  }
  if (!quiet_) std::cerr << message << "\n";
}

namespace {
double status_mb(const std::string& field) {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind(field, 0) == 0) return std::stod(line.substr(field.size())) / 1024.0;
  return 0.0;
}
}  // namespace

std::string seconds_text(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", s);
  return buf;
}

double peak_rss_mb() { return status_mb("VmHWM:"); }
double current_rss_mb() { return status_mb("VmRSS:"); }

}  // namespace sdxl::cli
