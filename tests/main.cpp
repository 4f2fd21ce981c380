// Test entry point: libtorch defaults to one thread here; use every core like the CLI does.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <thread>

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  at::set_num_threads(static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  return RUN_ALL_TESTS();
}
