// The Canny edge preprocessor: OpenCV's cv::Canny on the 8-bit image in RGB order (the web UI's ControlNet
// extension calls cv2.Canny on its RGB array; on 3 channels OpenCV takes, per pixel, the channel with the
// largest gradient), returned as a white-on-black RGB edge map of the same size.
#pragma once
#include <string>

#include "io/png.h"

namespace sdxl {

// Thresholds of the hysteresis (the web UI's defaults: 100, 200).
struct CannyThresholds {
  int low = 100, high = 200;
};

io::Image canny(const io::Image& rgb, const CannyThresholds& t = {});

// A control preprocessor as users write it: "none" or "canny[:LOW,HIGH]". Throws a usage sdxl::Error naming
// `field` for anything else (LOW and HIGH integers in [0, 255], LOW <= HIGH).
struct ControlPreprocess {
  bool canny = false;
  CannyThresholds thresholds;
};
ControlPreprocess parse_control_preprocess(const std::string& text, const std::string& field = "preprocess");

}  // namespace sdxl
