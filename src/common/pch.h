// Precompiled header: libtorch's headers cost ~20 s per translation unit on a 2-core machine.
#pragma once
#include <torch/torch.h>
#include <nlohmann/json.hpp>
#include <map>
#include <memory>
#include <string>
#include <vector>
