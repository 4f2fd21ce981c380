#include "cli/bench_control.h"

#include <fstream>

#include "cli/bench_timing.h"
#include "cli/progress.h"
#include "common/stopwatch.h"
#include "control/controlnet.h"
#include "pipeline/device.h"

namespace sdxl::cli {
namespace {

// Linux resets the peak RSS (VmHWM) to the current RSS on "5" written to clear_refs (proc(5)), so a peak can
// be taken for one phase of the process. False where the kernel refuses it.
bool reset_peak_rss() {
  std::ofstream f("/proc/self/clear_refs");
  f << "5";
  f.flush();
  return static_cast<bool>(f);
}

}  // namespace

void bench_control(UNet2DConditionModel& unet, const nlohmann::json& unet_config, const std::vector<at::Tensor>& in,
                   int repeat, const at::Device& device, const std::function<void(torch::nn::Module&)>& randomize,
                   const std::function<void(const std::string&, double, const std::string&)>& report,
                   nlohmann::json& out) {
  const at::TensorOptions opts = in[0].options();
  auto plain = [&] { unet->forward(in[0], in[1], in[2], in[3], in[4]); };
  const bool peaks = reset_peak_rss();
  plain();
  synchronize(device);
  const double plain_peak = peak_rss_mb();
  const double plain_s = time_median(repeat, device, plain);

  // diffusers' ControlNetModel config of the published SDXL ControlNets: the UNet's encoder fields plus the
  // conditioning embedding's defaults.
  nlohmann::json config = unet_config;
  config["_class_name"] = "ControlNetModel";
  for (const char* key : {"up_block_types", "out_channels", "conv_out_kernel", "sample_size", "center_input_sample"})
    config.erase(key);
  const double rss_before = current_rss_mb();
  Stopwatch timer;
  ControlNetModel controlnet(ControlNetConfig::from_json(config, "sdxl-base preset as a ControlNet"), opts);
  randomize(*controlnet);
  controlnet->eval();
  synchronize(device);
  out["controlnet_build_s"] = timer.seconds();
  out["controlnet_weights_mb"] = current_rss_mb() - rss_before;
  const at::Tensor image = at::rand({in[0].size(0), 3, in[0].size(2) * 8, in[0].size(3) * 8}, opts);
  auto control = [&] {
    ControlNetOutput r = controlnet->forward(in[0], in[1], in[2], in[3], in[4], image, 1.0, false);
    UNetExtras extras;
    extras.down_residuals = std::move(r.down);
    extras.mid_residual = r.mid;
    unet->forward(in[0], in[1], in[2], in[3], in[4], nullptr, &extras);
  };
  report("controlnet_forward_s", time_median(repeat, device, [&] {
           controlnet->forward(in[0], in[1], in[2], in[3], in[4], image, 1.0, false);
         }),
         "controlnet forward batch 2");
  const double step_s = time_median(repeat, device, control);
  report("control_step_s", step_s, "controlnet + base unet forward batch 2 (one control step)");
  out["control_plain_forward_s"] = plain_s;
  out["control_step_ratio"] = step_s / plain_s;
  if (peaks && reset_peak_rss()) {
    control();
    synchronize(device);
    out["control_added_peak_rss_mb"] = peak_rss_mb() - plain_peak;
  }
}

}  // namespace sdxl::cli
