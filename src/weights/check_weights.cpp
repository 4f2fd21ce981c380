#include "weights/check_weights.h"

#include "common/error.h"
#include "weights/checkpoint_plan.h"

#include <cstdio>
#include <sstream>

namespace sdxl {
namespace {

// 2567463684 -> "2,567,463,684"
std::string grouped(int64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

}  // namespace

CheckReport check_weights(const std::string& path, const std::string& config_dir) {
  CheckReport report;
  report.path = path;
  try {
    const CheckpointPlan plan = plan_checkpoint(path, config_dir);
    report.layout = plan.layout;
    report.kind = plan.kind;
    report.ignored = plan.ignored;
    report.problems = plan.problems();
    for (const auto& c : plan.components) {
      ComponentCheck check;
      check.component = c.name;
      check.source = c.file->path();
      check.config_source = c.config_source;
      check.tensors = c.sources.size();
      check.parameters = c.parameters;
      check.expected_parameters = count_elements(expected_tensors(c.name, c.config));
      check.dtypes = c.dtypes;
      check.report = c.report;
      report.components.push_back(std::move(check));
    }
  } catch (const Error& e) {
    report.problems.push_back(e.what());
  }
  report.ok = report.problems.empty();
  return report;
}

std::string format_check_report(const CheckReport& r) {
  std::ostringstream o;
  o << r.path << ": ";
  if (r.layout.empty())
    o << "cannot be checked\n";
  else
    o << r.layout << " SDXL " << to_string(r.kind) << " checkpoint\n";
  for (const auto& c : r.components) {
    char line[160];
    std::string dtypes;
    for (const auto& d : c.dtypes) dtypes += (dtypes.empty() ? "" : "/") + d;
    std::snprintf(line, sizeof line, "  %-15s %5zu tensors %15s parameters  %-8s %s\n", c.component.c_str(), c.tensors,
                  grouped(c.parameters).c_str(), dtypes.c_str(), c.report.ok() ? "ok" : "MISMATCH");
    o << line << "      config: " << c.config_source << "\n";
  }
  if (!r.ignored.empty()) {
    o << "  ignored " << r.ignored.size() << " unused tensor" << (r.ignored.size() == 1 ? "" : "s") << ":";
    for (size_t i = 0; i < r.ignored.size() && i < 4; ++i) o << " " << r.ignored[i];
    if (r.ignored.size() > 4) o << " ...";
    o << "\n";
  }
  constexpr size_t kShown = 50;
  for (size_t i = 0; i < r.problems.size() && i < kShown; ++i) o << "  problem: " << r.problems[i] << "\n";
  if (r.problems.size() > kShown) o << "  ... " << r.problems.size() - kShown << " more problems\n";
  for (const auto& n : r.notes) o << "  " << n << "\n";
  if (r.ok)
    o << "OK\n";
  else
    o << "FAILED: " << r.problems.size() << " problem" << (r.problems.size() == 1 ? "" : "s") << "\n";
  return o.str();
}

}  // namespace sdxl
