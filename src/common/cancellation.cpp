#include "common/cancellation.h"

#include <utility>

namespace sdxl {
namespace {

// One per thread: the server and library users may generate on several threads, each with its own stop.
thread_local const std::function<void()>* t_check = nullptr;

}  // namespace

CancellationScope::CancellationScope(std::function<void()> check) : check_(std::move(check)), previous_(t_check) {
  t_check = &check_;
}

CancellationScope::~CancellationScope() { t_check = previous_; }

void cancellation_point() {
  if (t_check && *t_check) (*t_check)();
}

}  // namespace sdxl
