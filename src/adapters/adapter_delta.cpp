#include "adapters/adapter_delta.h"

#include "common/error.h"
#include "weights/state_dict.h"

namespace sdxl {
namespace {

at::Tensor matrix(const at::Tensor& t) { return t.dim() == 2 ? t : t.reshape({t.size(0), -1}); }

// A Tucker-decomposed factor: core t [i, j, k, l] with wa [i, p] (output side) and wb [j, r] (input side)
// -> [p, r, k, l] (LyCORIS "i j k l, j r, i p -> p r k l").
at::Tensor tucker(const at::Tensor& t, const at::Tensor& wa, const at::Tensor& wb) {
  return at::einsum("ijkl,jr,ip->prkl", {t, wb, wa});
}

}  // namespace

double adapter_scale(const AdapterModule& m) {
  int64_t rank = 0;
  const auto& f = m.factors;
  switch (m.kind) {
    case AdapterKind::LoRA: rank = f.at("down").size(0); break;
    case AdapterKind::LoHa: rank = f.at("w1b").size(0); break;
    case AdapterKind::LoKr:
      // The rows of a split factor's _b half: LyCORIS' rank for every layout (its make_module reads w2_a's
      // columns, the same number except in the Tucker layout, where those are the output factor).
      if (f.count("w1b")) rank = f.at("w1b").size(0);
      else if (f.count("w2b")) rank = f.at("w2b").size(0);
      else return 1.0;  // both factors full: LyCORIS ignores alpha
      break;
  }
  const double alpha = m.alpha && *m.alpha != 0 ? *m.alpha : static_cast<double>(rank);
  return alpha / static_cast<double>(rank);
}

at::Tensor adapter_delta(const AdapterModule& m, at::IntArrayRef shape, const at::Device& device) {
  std::map<std::string, at::Tensor> f;
  for (const auto& [name, t] : m.factors) f[name] = t.to(device, at::kFloat);
  at::Tensor delta;
  switch (m.kind) {
    case AdapterKind::LoRA: {
      const at::Tensor& down = f.at("down");
      delta = at::matmul(matrix(f.at("up")), down.reshape({down.size(0), -1}));
      break;
    }
    case AdapterKind::LoHa:
      if (f.count("t1")) {
        delta = tucker(f.at("t1"), f.at("w1a"), f.at("w1b")) * tucker(f.at("t2"), f.at("w2a"), f.at("w2b"));
      } else {
        delta = at::matmul(f.at("w1a"), f.at("w1b")) * at::matmul(f.at("w2a"), f.at("w2b"));
      }
      break;
    case AdapterKind::LoKr: {
      at::Tensor w1 = f.count("w1") ? f.at("w1") : at::matmul(f.at("w1a"), f.at("w1b"));
      at::Tensor w2 = f.count("w2")   ? f.at("w2")
                      : f.count("t2") ? tucker(f.at("t2"), f.at("w2a"), f.at("w2b"))
                                      : at::matmul(f.at("w2a"), f.at("w2b"));
      if (w2.dim() == 4) w1 = w1.unsqueeze(2).unsqueeze(2);
      delta = at::kron(w1, w2);
      break;
    }
  }
  int64_t numel = 1;
  for (int64_t s : shape) numel *= s;
  if (delta.numel() != numel || shape.empty() || delta.size(0) != shape[0])
    throw Error(ErrorCategory::Input, "", std::string(to_string(m.kind)) + " module " + m.key + " makes a " + shape_str(delta.sizes().vec()) +
                " change for a " + shape_str(shape.vec()) + " weight");
  return delta.reshape(shape);
}

}  // namespace sdxl
