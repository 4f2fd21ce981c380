// Forwarding header: sdxl::Error is public (include/sdxl/error.h).
#pragma once
#include "sdxl/error.h"
