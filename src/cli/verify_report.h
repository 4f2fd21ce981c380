// The reports of `sdxl-gen verify`: JUnit XML (one testcase per golden, for GitLab/Jenkins/GitHub test
// reporters), a self-contained HTML page (golden | new | diff side by side with the figures and the request),
// and one JSON line per case for scripts.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace sdxl::cli {

struct VerifyCase {
  std::string golden;             // the golden PNG
  std::string name;               // short name (file stem), unique within the run
  std::string state;              // "pass", "fail" (differs or the model changed), "error" (cannot be re-run)
  std::string message;            // why it failed or could not run; "" when it passed
  std::string new_image, diff_image;  // written files ("" when not made)
  int max_diff = 0;
  double psnr_db = 0;             // +inf when identical
  long long differing_pixels = 0;
  double seconds = 0;
  nlohmann::json request;         // the recorded request (the sdxl-gen chunk), for the report
};

std::string junit_xml(const std::vector<VerifyCase>& cases, double total_seconds);
std::string html_report(const std::vector<VerifyCase>& cases, const std::string& limits);
nlohmann::json case_json(const VerifyCase& c);
std::string psnr_text(double db);  // "inf" or two decimals

}  // namespace sdxl::cli
