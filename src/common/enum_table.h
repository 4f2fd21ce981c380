// Forwarding header: the enum name tables are public (include/sdxl/enum_table.h).
#pragma once
#include "sdxl/enum_table.h"
