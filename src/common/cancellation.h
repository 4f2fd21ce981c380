// Cooperative cancellation inside long stages. The run layer polls the front end's "stop" between sampling
// steps, but one UNet or VAE call on a large image can take minutes, so the networks also call
// cancellation_point() between their blocks (and the tiled VAE between tiles). A CancellationScope installs
// the check for the calling thread (the run layer's, around the batch); the check throws to cancel (the run
// layer throws its "abandon the current image"). Without a scope cancellation_point() does nothing.
#pragma once
#include <functional>

namespace sdxl {

class CancellationScope {
 public:
  explicit CancellationScope(std::function<void()> check);
  ~CancellationScope();
  CancellationScope(const CancellationScope&) = delete;
  CancellationScope& operator=(const CancellationScope&) = delete;

 private:
  std::function<void()> check_;
  const std::function<void()>* previous_;
};

// Runs the calling thread's innermost check, if any (which may throw).
void cancellation_point();

}  // namespace sdxl
