// Which SDXL model a checkpoint is. Base: two text encoders, 6 time ids (original size, crop, target size).
// Refiner: text encoder 2 only, 5 time ids (original size, crop, aesthetic score).
#pragma once

namespace sdxl {

enum class ModelKind { Base, Refiner };

}  // namespace sdxl
