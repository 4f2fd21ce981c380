// `bench --profile`: where the time of one UNet forward / VAE decode goes, op by op, on this CPU.
//
// libtorch announces every dispatched op (and every RECORD_USER_SCOPE range, e.g. the UNet's blocks) to
// RecordFunction observers; OpProfile is a thread-local observer that times them. Ops called directly by the
// model code ("top-level": conv2d, linear, group_norm, scaled_dot_product_attention, add_, copy_ ...) are
// charged their inclusive time, so the rows add up to the wall time and a reorder or cast inside a kernel is
// charged to the op that needed it; the leaf table gives each kernel's own (self) time. Matrix work (conv,
// linear, attention, matmul) also gets its FLOP count from the shapes, so a row reads as a fraction of the
// machine's GEMM rate.
#pragma once
#include <ATen/record_function.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>

namespace sdxl::cli {

struct OpStats {
  int64_t calls = 0;
  double seconds = 0;
  double flops = 0;
};

class OpProfile {
 public:
  // Starts observing the calling thread's ops; stops in the destructor.
  OpProfile();
  ~OpProfile();
  OpProfile(const OpProfile&) = delete;
  OpProfile& operator=(const OpProfile&) = delete;

  // Rows keyed "op | where" (where: the spatial size "HxW" of an NCHW input, or the token count).
  const std::map<std::string, OpStats>& top_level() const { return top_; }
  // Self time of every op, nested ones included (convolution internals, copies inside casts...).
  const std::map<std::string, OpStats>& leaves() const { return leaves_; }
  // Inclusive time of each user scope (model blocks).
  const std::map<std::string, OpStats>& scopes() const { return scopes_; }

  // Markdown tables (top-level ops, blocks, the slowest leaves) for `wall_s` seconds of work, with each row's
  // share and, for matrix work, its rate as a fraction of `gemm_flops_per_s`; also the JSON form.
  std::string table(const std::string& title, double wall_s, double gemm_flops_per_s) const;
  nlohmann::json to_json(double wall_s) const;
  double total_flops() const;

 private:
  friend struct OpProfileAccess;
  at::CallbackHandle handle_;
  std::map<std::string, OpStats> top_, leaves_, scopes_;
};

}  // namespace sdxl::cli
