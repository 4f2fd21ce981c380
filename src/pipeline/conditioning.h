// Everything the UNet is conditioned on for one request and one model: text embeddings (with the
// reference's negative-prompt rules) and the micro-conditioning time ids, repeated for the batch and laid
// out for classifier-free guidance as [negative rows; positive rows].
#pragma once
#include <string>
#include <vector>

#include "pipeline/denoise.h"
#include "pipeline/model_set.h"
#include "sdxl/request.h"
#include "unet/micro_conditioning.h"

namespace sdxl {

// The request's micro-conditioning settings (sizes converted to height-first).
MicroConditioning micro_conditioning(const GenerationRequest& r);

// Time ids [1,n] for `model` (base: 6 ids, refiner: 5 with the aesthetic score). `img2img` selects the
// reference img2img pipeline's negative rule on the base model (each negative size defaults on its own
// and the negative crop is the positive one) instead of txt2img's.
TimeIds time_ids_for(ModelKind kind, const GenerationRequest& r, bool img2img, std::vector<std::string>* warnings);

UNetConditioning build_conditioning(ModelSet& model, const GenerationRequest& r, int64_t batch,
                                    std::vector<std::string>* warnings);

}  // namespace sdxl
