// The one exception type sdxl-gen throws for bad input: its message names the file, key, flag or value.
#pragma once
#include <stdexcept>
#include <string>

namespace sdxl {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace sdxl
