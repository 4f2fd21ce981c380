#include "cli/bench_profile.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <iomanip>
#include <sstream>
#include <vector>

namespace sdxl::cli {

// The inputs of an op are only readable in the start callback (the dispatcher frees its boxed copy of the
// arguments before the op runs), so what the end callback needs from them is taken there.
struct Frame {
  std::chrono::steady_clock::time_point start;
  double child_seconds = 0;
  bool user_scope = false;
  std::string where;
  double flops_per_output = 0;  // x the output's element count
  double flops = 0;             // or known from the inputs alone
};

struct ThreadState {
  OpProfile* profile = nullptr;
  std::vector<Frame> stack;
  int op_depth = 0;  // ops (not user scopes) open on the stack
};

namespace {

thread_local ThreadState state;

const at::Tensor* tensor_at(c10::ArrayRef<const c10::IValue> values, size_t i) {
  return i < values.size() && values[i].isTensor() ? &values[i].toTensor() : nullptr;
}

// Where an op works: "HxW" of an NCHW activation, "N tok" of a [B, N, C] or [B, heads, N, d] one.
std::string where(const at::RecordFunction& fn) {
  const at::Tensor* x = tensor_at(fn.inputs(), 0);
  if (!x || !x->defined()) return "";
  if (std::strcmp(fn.name(), "aten::scaled_dot_product_attention") == 0 && x->dim() == 4)
    return std::to_string(x->size(2)) + " tok";
  if (x->dim() == 4) return std::to_string(x->size(2)) + "x" + std::to_string(x->size(3));
  if (x->dim() == 3) return std::to_string(x->size(1)) + " tok";
  return "";
}

// Multiply-adds x 2 of the matrix ops, from their input shapes (per output element, or in total); nothing
// for everything else.
void count_flops(const at::RecordFunction& fn, Frame& f) {
  const std::string name = fn.name();
  const auto in = fn.inputs();
  auto numel = [](const at::Tensor* t) { return t && t->defined() ? static_cast<double>(t->numel()) : 0.0; };
  // Every output element of these is a dot product over the last dimension of this input.
  auto reduced_over = [&](size_t i) {
    const at::Tensor* a = tensor_at(in, i);
    if (a && a->defined() && a->dim() >= 1) f.flops_per_output = 2.0 * static_cast<double>(a->size(-1));
  };
  if (name == "aten::conv2d" || name == "aten::convolution" || name == "aten::_convolution") {
    const at::Tensor* w = tensor_at(in, 1);
    if (w && w->defined() && w->dim() == 4) f.flops_per_output = 2.0 * static_cast<double>(w->numel() / w->size(0));
  } else if (name == "aten::linear") {
    reduced_over(1);  // weight [out, in]
  } else if (name == "aten::scaled_dot_product_attention") {
    const at::Tensor *q = tensor_at(in, 0), *k = tensor_at(in, 1), *v = tensor_at(in, 2);
    if (!q || !k || !v || !q->defined() || q->dim() < 2) return;
    const double rows = numel(q) / static_cast<double>(q->size(-1));  // batch x heads x L
    f.flops = 2.0 * rows * static_cast<double>(k->size(-2)) * static_cast<double>(q->size(-1) + v->size(-1));
  } else if (name == "sdxl::upsample2x_conv3x3") {
    // The VAE's upsampler (vae/blocks.h) is charged the reference's work: a 3x3 convolution at twice the size.
    const at::Tensor *x = tensor_at(in, 0), *w = tensor_at(in, 1);
    if (x && w && x->dim() == 4 && w->dim() == 4)
      f.flops = 2.0 * static_cast<double>(x->size(0) * w->size(0) * 4 * x->size(2) * x->size(3)) *
                static_cast<double>(w->numel() / w->size(0));
  } else if (name == "aten::mm" || name == "aten::bmm" || name == "aten::matmul") {
    reduced_over(0);
  } else if (name == "aten::addmm" || name == "aten::baddbmm") {
    reduced_over(1);
  }
}

std::unique_ptr<at::ObserverContext> on_start(const at::RecordFunction& fn) {
  const bool user = fn.scope() == at::RecordScope::USER_SCOPE;
  Frame f{std::chrono::steady_clock::now(), 0, user};
  if (!user) {
    if (state.op_depth == 0) {  // only top-level rows need these
      f.where = where(fn);
      count_flops(fn, f);
    }
    ++state.op_depth;
  }
  state.stack.push_back(std::move(f));
  return nullptr;
}

}  // namespace

struct OpProfileAccess {
  static void on_end(const at::RecordFunction& fn, at::ObserverContext*) {
    if (state.stack.empty() || !state.profile) return;
    const Frame f = std::move(state.stack.back());
    state.stack.pop_back();
    const double inclusive = std::chrono::duration<double>(std::chrono::steady_clock::now() - f.start).count();
    if (!state.stack.empty()) state.stack.back().child_seconds += inclusive;
    OpProfile& p = *state.profile;
    if (f.user_scope) {
      OpStats& s = p.scopes_[fn.name()];
      ++s.calls;
      s.seconds += inclusive;
      return;
    }
    --state.op_depth;
    OpStats& leaf = p.leaves_[fn.name()];
    ++leaf.calls;
    leaf.seconds += inclusive - f.child_seconds;
    if (state.op_depth == 0) {
      std::string key = fn.name();
      if (!f.where.empty()) key += " | " + f.where;
      OpStats& top = p.top_[key];
      ++top.calls;
      top.seconds += inclusive;
      const auto& outs = fn.outputs();
      const double out_numel = !outs.empty() && outs[0].isTensor() && outs[0].toTensor().defined()
                                   ? static_cast<double>(outs[0].toTensor().numel())
                                   : 0.0;
      top.flops += f.flops + f.flops_per_output * out_numel;
    }
  }
};

OpProfile::OpProfile() {
  state = ThreadState{this, {}, 0};
  handle_ = at::addThreadLocalCallback(at::RecordFunctionCallback(on_start, OpProfileAccess::on_end)
                                           .needsInputs(true)
                                           .needsOutputs(true)
                                           .scopes({at::RecordScope::FUNCTION, at::RecordScope::USER_SCOPE}));
}

OpProfile::~OpProfile() {
  at::removeCallback(handle_);
  state = ThreadState{};
}

double OpProfile::total_flops() const {
  double sum = 0;
  for (const auto& [k, s] : top_) sum += s.flops;
  return sum;
}

namespace {

std::vector<std::pair<std::string, OpStats>> by_time(const std::map<std::string, OpStats>& rows) {
  std::vector<std::pair<std::string, OpStats>> v(rows.begin(), rows.end());
  std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.second.seconds > b.second.seconds; });
  return v;
}

}  // namespace

std::string OpProfile::table(const std::string& title, double wall_s, double gemm_flops_per_s) const {
  std::ostringstream o;
  o << std::fixed;
  const double flops = total_flops();
  o << "\n### " << title << ": " << std::setprecision(3) << wall_s << " s, " << std::setprecision(1) << flops / 1e9
    << " GFLOP of matrix work";
  if (gemm_flops_per_s > 0)
    o << " = " << std::setprecision(1) << 100.0 * flops / wall_s / gemm_flops_per_s << "% of the GEMM rate ("
      << std::setprecision(0) << gemm_flops_per_s / 1e9 << " GFLOP/s)";
  o << "\n\n| op (called by the model) | where | calls | s | share | GFLOP | % of GEMM rate |\n"
    << "|---|---|---:|---:|---:|---:|---:|\n";
  double listed = 0;
  for (const auto& [key, s] : by_time(top_)) {
    const auto bar = key.find(" | ");
    const std::string op = key.substr(0, bar), at = bar == std::string::npos ? "" : key.substr(bar + 3);
    listed += s.seconds;
    o << "| " << op << " | " << at << " | " << s.calls << " | " << std::setprecision(3) << s.seconds << " | "
      << std::setprecision(1) << 100.0 * s.seconds / wall_s << "% | ";
    if (s.flops > 0) {
      o << std::setprecision(1) << s.flops / 1e9 << " | ";
      if (gemm_flops_per_s > 0) o << std::setprecision(0) << 100.0 * s.flops / s.seconds / gemm_flops_per_s << "%";
    } else {
      o << " | ";
    }
    o << " |\n";
  }
  o << "| (between ops) | | | " << std::setprecision(3) << wall_s - listed
    << " | " << std::setprecision(1) << 100.0 * (wall_s - listed) / wall_s << "% | | |\n";
  if (!scopes_.empty()) {
    o << "\n| block | s | share |\n|---|---:|---:|\n";
    for (const auto& [name, s] : scopes_)
      o << "| " << name << " | " << std::setprecision(3) << s.seconds << " | " << std::setprecision(1)
        << 100.0 * s.seconds / wall_s << "% |\n";
  }
  o << "\n| kernel (self time, nested ops included) | calls | s | share |\n|---|---:|---:|---:|\n";
  int n = 0;
  for (const auto& [name, s] : by_time(leaves_)) {
    if (++n > 15) break;
    o << "| " << name << " | " << s.calls << " | " << std::setprecision(3) << s.seconds << " | "
      << std::setprecision(1) << 100.0 * s.seconds / wall_s << "% |\n";
  }
  return o.str();
}

nlohmann::json OpProfile::to_json(double wall_s) const {
  auto rows = [](const std::map<std::string, OpStats>& m) {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& [k, s] : m) j[k] = {{"calls", s.calls}, {"s", s.seconds}, {"flops", s.flops}};
    return j;
  };
  return {{"wall_s", wall_s}, {"flops", total_flops()}, {"ops", rows(top_)}, {"blocks", rows(scopes_)},
          {"kernels", rows(leaves_)}};
}

}  // namespace sdxl::cli
