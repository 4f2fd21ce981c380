#include "pipeline/control_stage.h"

#include "common/error.h"
#include "control/canny.h"
#include "io/lanczos.h"
#include "io/image_file.h"
#include "io/png.h"

namespace sdxl {

at::Tensor prepare_control_image(const ControlSpec& spec, const Size& size, bool* resized) {
  io::Image img;
  try {
    img = io::read_image(spec.image);
  } catch (const Error& e) {
    throw input_error("control_image", e.what());
  }
  const ControlPreprocess pre = parse_control_preprocess(spec.preprocess, "control_preprocess");
  if (pre.canny) img = canny(img, pre.thresholds);
  const bool resize = img.width != size.width || img.height != size.height;
  if (resized) *resized = resize;
  if (resize) img = io::lanczos_resize(img, size.width, size.height);
  // VaeImageProcessor(do_normalize=False): float32 / 255, CHW.
  return io::to_tensor(img).to(at::kFloat).div_(255.0f).permute({2, 0, 1}).unsqueeze(0).contiguous();
}

double control_keep(int step, int total, double start, double end) {
  const double i = step, n = total;
  return (i / n < start || (i + 1) / n > end) ? 0.0 : 1.0;
}

std::vector<at::Tensor> adapter_features(T2IAdapterModel& adapter, const at::Tensor& image, double scale, bool cfg) {
  std::vector<at::Tensor> out;
  for (const at::Tensor& f : adapter->forward(image)) {
    const at::Tensor v = f * scale;
    out.push_back(cfg ? at::cat({v, v}) : v);
  }
  return out;
}

ControlStage::ControlStage(std::vector<ControlUnit> units, const UNetConditioning& cond, bool cfg, bool guess_mode)
    : units_(std::move(units)), cond_(cond), cfg_(cfg), guess_mode_(guess_mode) {}

UNetExtras ControlStage::extras(int step, int total, const at::Tensor& x_in, const at::Tensor& t) {
  UNetExtras out;
  // Guess mode with CFG: the conditional half of every input (the rows after the negative ones).
  const bool half = guess_mode_ && cfg_;
  auto cond_half = [&](const at::Tensor& v) { return half ? v.chunk(2, 0)[1] : v; };
  const at::Tensor x = cond_half(x_in), tt = t.numel() == 1 ? t : cond_half(t);
  for (ControlUnit& u : units_) {
    if (!u.model) {
      // T2I-Adapter: i < int(n x adapter_conditioning_factor); several adapters' features are summed.
      if (step >= static_cast<int>(total * u.end)) continue;
      auto& sum = out.intrablock_residuals;
      if (sum.empty()) sum = u.adapter_features;
      else
        for (size_t k = 0; k < sum.size(); ++k) sum[k] = sum[k] + u.adapter_features[k];
      continue;
    }
    const double keep = control_keep(step, total, u.start, u.end);
    if (keep == 0.0) continue;  // residuals x 0 added to the UNet's: the same result, without the run
    const at::Tensor image = cfg_ && !guess_mode_ ? at::cat({u.image, u.image}) : u.image;
    ControlNetOutput r = u.model->forward(x, tt, cond_half(cond_.context), cond_half(cond_.pooled),
                                          cond_half(cond_.time_ids), image, u.scale * keep, guess_mode_);
    if (out.down_residuals.empty()) {
      out.down_residuals = std::move(r.down);
      out.mid_residual = r.mid;
    } else {  // MultiControlNetModel: summed in order
      for (size_t k = 0; k < r.down.size(); ++k) out.down_residuals[k] = out.down_residuals[k] + r.down[k];
      out.mid_residual = out.mid_residual + r.mid;
    }
  }
  if (half && !out.down_residuals.empty()) {
    for (auto& d : out.down_residuals) d = at::cat({at::zeros_like(d), d});
    out.mid_residual = at::cat({at::zeros_like(out.mid_residual), out.mid_residual});
  }
  return out;
}

std::function<UNetExtras(int, int, const at::Tensor&, const at::Tensor&)> ControlStage::hook() {
  return [this](int step, int total, const at::Tensor& x_in, const at::Tensor& t) { return extras(step, total, x_in, t); };
}

}  // namespace sdxl
