// The weight change one adapter module makes, in float32 (merging in fp16 overflows).
//
// Semantics (reference code in parentheses):
//   LoRA  delta = up @ down, reshaped to the weight (conv LoRA: 3x3 down, 1x1 up); rank = down's output
//         dimension (kohya networks/lora.py, PEFT LoraLayer.get_delta_weight)
//   LoHa  delta = (w1a @ w1b) * (w2a @ w2b); Tucker: each factor rebuilt from t_i first; rank = w1b rows
//         (LyCORIS modules/loha.py HadaWeight / HadaWeightCP)
//   LoKr  delta = kron(w1, w2), w1 = w1a @ w1b when split, w2 = w2a @ w2b (or its Tucker rebuild with t2);
//         rank = w1b's (else w2b's) rows; scale 1 when neither factor is split (LyCORIS modules/lokr.py)
//   scale = alpha / rank, alpha absent or 0 meaning alpha = rank.
#pragma once
#include <ATen/ATen.h>

#include "adapters/adapter_file.h"

namespace sdxl {

// alpha / rank for the module (1 when the kind has no rank, see above).
double adapter_scale(const AdapterModule& m);
// The unscaled delta as float32 on `device`, shaped `shape` (the target weight's). Throws sdxl::Error
// naming the module when its factors cannot make a tensor of that many elements.
at::Tensor adapter_delta(const AdapterModule& m, at::IntArrayRef shape, const at::Device& device);

}  // namespace sdxl
