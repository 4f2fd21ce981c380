#include "cli/verify_report.h"

#include <cmath>
#include <iomanip>
#include <sstream>

#include "io/atomic_file.h"

namespace sdxl::cli {
namespace {

// XML and HTML share the five predefined entities; control characters other than tab/newline are not
// allowed in XML 1.0 at all, so they become '?'.
std::string escape(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += (c < 0x20 && c != '\t' && c != '\n' && c != '\r') ? '?' : static_cast<char>(c);
    }
  }
  return out;
}

std::string base64(const std::string& bytes) {
  static const char* table = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t v = uint8_t(bytes[i]) << 16 | uint8_t(bytes[i + 1]) << 8 | uint8_t(bytes[i + 2]);
    for (int k = 18; k >= 0; k -= 6) out += table[(v >> k) & 63];
  }
  if (i < bytes.size()) {
    uint32_t v = uint8_t(bytes[i]) << 16 | (i + 1 < bytes.size() ? uint8_t(bytes[i + 1]) << 8 : 0);
    out += table[(v >> 18) & 63];
    out += table[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? table[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string figures(const VerifyCase& c) {
  return "max diff " + std::to_string(c.max_diff) + ", PSNR " + psnr_text(c.psnr_db) + " dB, " +
         std::to_string(c.differing_pixels) + " differing pixels";
}

std::string image_cell(const std::string& path, const std::string& caption) {
  if (path.empty()) return "<td class=\"none\">" + escape(caption) + ": not made</td>";
  std::string data;
  try {
    data = io::read_file(path);
  } catch (const std::exception&) {
    return "<td class=\"none\">" + escape(caption) + ": cannot be read</td>";
  }
  return "<td><div class=\"cap\">" + escape(caption) + "</div><img alt=\"" + escape(caption) +
         "\" src=\"data:image/png;base64," + base64(data) + "\"></td>";
}

}  // namespace

std::string psnr_text(double db) {
  if (std::isinf(db)) return "inf";
  std::ostringstream o;
  o << std::fixed << std::setprecision(2) << db;
  return o.str();
}

nlohmann::json case_json(const VerifyCase& c) {
  nlohmann::json j = {{"golden", c.golden}, {"state", c.state}, {"max_diff", c.max_diff},
                      {"differing_pixels", c.differing_pixels}, {"new", c.new_image}, {"diff", c.diff_image},
                      {"seconds", c.seconds}};
  j["psnr_db"] = std::isinf(c.psnr_db) ? nlohmann::json("inf") : nlohmann::json(c.psnr_db);
  if (!c.message.empty()) j["message"] = c.message;
  return j;
}

std::string junit_xml(const std::vector<VerifyCase>& cases, double total_seconds) {
  int failures = 0, errors = 0;
  for (const auto& c : cases) failures += c.state == "fail", errors += c.state == "error";
  std::ostringstream o;
  o << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    << "<testsuites name=\"sdxl-gen verify\" tests=\"" << cases.size() << "\" failures=\"" << failures
    << "\" errors=\"" << errors << "\" time=\"" << total_seconds << "\">\n"
    << "  <testsuite name=\"goldens\" tests=\"" << cases.size() << "\" failures=\"" << failures << "\" errors=\""
    << errors << "\" skipped=\"0\" time=\"" << total_seconds << "\">\n";
  for (const auto& c : cases) {
    o << "    <testcase classname=\"sdxl-gen.verify\" name=\"" << escape(c.golden) << "\" file=\"" << escape(c.golden)
      << "\" time=\"" << c.seconds << "\">\n";
    if (c.state == "fail")
      o << "      <failure type=\"ImageDiffers\" message=\"" << escape(c.message) << "\">" << escape(c.message)
        << "\nnew: " << escape(c.new_image) << "\ndiff: " << escape(c.diff_image) << "</failure>\n";
    else if (c.state == "error")
      o << "      <error type=\"CannotRerun\" message=\"" << escape(c.message) << "\">" << escape(c.message)
        << "</error>\n";
    if (c.state != "error") o << "      <system-out>" << escape(figures(c)) << "</system-out>\n";
    o << "    </testcase>\n";
  }
  o << "  </testsuite>\n</testsuites>\n";
  return o.str();
}

std::string html_report(const std::vector<VerifyCase>& cases, const std::string& limits) {
  int passed = 0;
  for (const auto& c : cases) passed += c.state == "pass";
  std::ostringstream o;
  o << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>sdxl-gen verify: " << passed << "/"
    << cases.size() << " passed</title>\n<style>\n"
    << "body{font-family:sans-serif;margin:1em;background:#fafafa}h1{font-size:1.3em}\n"
    << "section{background:#fff;border:1px solid #ccc;border-left:8px solid #888;margin:1em 0;padding:.5em 1em}\n"
    << "section.pass{border-left-color:#2a2}section.fail{border-left-color:#d22}section.error{border-left-color:#e80}\n"
    << "table{border-collapse:collapse}td{vertical-align:top;padding:4px;text-align:center}\n"
    << "img{max-width:320px;image-rendering:pixelated;border:1px solid #ddd;width:256px}\n"
    << ".cap{font-size:.8em;color:#555}.none{color:#999;width:256px}pre{white-space:pre-wrap;font-size:.75em;"
    << "background:#f4f4f4;padding:.5em;max-height:12em;overflow:auto}.state{font-weight:bold;text-transform:uppercase}\n"
    << "</style></head><body>\n<h1>sdxl-gen verify: " << passed << " of " << cases.size() << " goldens pass ("
    << escape(limits) << ")</h1>\n";
  for (const auto& c : cases) {
    o << "<section class=\"" << c.state << "\"><h2><span class=\"state\">" << c.state << "</span> " << escape(c.golden)
      << "</h2>\n";
    if (!c.message.empty()) o << "<p>" << escape(c.message) << "</p>\n";
    if (c.state != "error" && c.message.rfind("differs", 0) != 0) o << "<p>" << escape(figures(c)) << "</p>\n";
    o << "<table><tr>" << image_cell(c.golden, "golden") << image_cell(c.new_image, "new")
      << image_cell(c.diff_image, "diff (red: changed)") << "</tr></table>\n";
    if (!c.request.is_null()) o << "<pre>" << escape(c.request.dump(1)) << "</pre>\n";
    o << "</section>\n";
  }
  o << "</body></html>\n";
  return o.str();
}

}  // namespace sdxl::cli
