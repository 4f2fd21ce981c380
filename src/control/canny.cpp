#include "control/canny.h"

#include <opencv2/imgproc.hpp>

#include "common/error.h"

namespace sdxl {

io::Image canny(const io::Image& rgb, const CannyThresholds& t) {
  // cv::Mat views the interleaved RGB bytes without copying (OpenCV does not care about channel order here:
  // the gradient magnitude is taken per channel).
  cv::Mat in(rgb.height, rgb.width, CV_8UC3, const_cast<uint8_t*>(rgb.rgb.data()));
  cv::Mat edges;
  cv::Canny(in, edges, t.low, t.high);  // aperture 3, L1 gradient: cv2.Canny's defaults
  io::Image out{rgb.width, rgb.height, std::vector<uint8_t>(rgb.rgb.size())};
  for (int y = 0; y < rgb.height; ++y) {
    const uint8_t* row = edges.ptr<uint8_t>(y);
    for (int x = 0; x < rgb.width; ++x)
      for (int c = 0; c < 3; ++c) out.rgb[(static_cast<size_t>(y) * rgb.width + x) * 3 + c] = row[x];
  }
  return out;
}

ControlPreprocess parse_control_preprocess(const std::string& text, const std::string& field) {
  ControlPreprocess p;
  if (text.empty() || text == "none") return p;
  const std::string name = text.substr(0, text.find(':'));
  if (name != "canny")
    throw usage_error(field, "unknown preprocessor '" + text + "' (supported: none, canny[:LOW,HIGH])");
  p.canny = true;
  if (name.size() == text.size()) return p;
  const std::string args = text.substr(name.size() + 1);
  const size_t comma = args.find(',');
  auto number = [&](const std::string& s) {
    if (s.empty() || s.size() > 3 || s.find_first_not_of("0123456789") != std::string::npos)
      throw usage_error(field, "'" + text + "': thresholds must be integers 0-255, as canny:100,200");
    const int v = std::stoi(s);
    if (v > 255) throw usage_error(field, "'" + text + "': thresholds must be integers 0-255, as canny:100,200");
    return v;
  };
  if (comma == std::string::npos) throw usage_error(field, "'" + text + "': expected canny:LOW,HIGH");
  p.thresholds.low = number(args.substr(0, comma));
  p.thresholds.high = number(args.substr(comma + 1));
  if (p.thresholds.low > p.thresholds.high)
    throw usage_error(field, "'" + text + "': the low threshold is above the high one");
  return p;
}

}  // namespace sdxl
