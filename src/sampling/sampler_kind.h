// Forwarding header: the sampler, timestep-spacing and prediction-type enums, their name tables and
// parsers are public (include/sdxl/sampling_options.h).
#pragma once
#include "sdxl/sampling_options.h"
