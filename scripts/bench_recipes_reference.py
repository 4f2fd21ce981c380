"""Times the reference (diffusers' StableDiffusionXLPipeline) from prompt to a saved PNG, random weights.

The reference side of README's "time to a finished image" table (scripts/bench_recipes.sh runs it): the full
SDXL 1.0 base pipeline (both CLIP text encoders, UNet, VAE, Euler scheduler) built at full size with random
weights (uniform, std 0.02, as `sdxl-gen bench` and scripts/make_random_checkpoint.py draw them) and the real
CLIP tokenizer files of the fixtures. One call of the pipeline, timed from the prompt to `image.save()`;
building the models is reported separately as load time. Prints one JSON object.

Usage: .venv-ref/bin/python scripts/bench_recipes_reference.py --size 512x512 --steps 30 --cfg 5 [--spacing trailing]
"""
import argparse
import json
import os
import time

import diffusers
import torch
from diffusers import AutoencoderKL, EulerDiscreteScheduler, StableDiffusionXLPipeline, UNet2DConditionModel
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection, CLIPTokenizer

from bench_reference import SCHEDULER, UNET, VAE, randomize

# The two text encoders of SDXL 1.0 (text_encoder/config.json and text_encoder_2/config.json of the
# stabilityai/stable-diffusion-xl-base-1.0 folder): CLIP ViT-L/14 and OpenCLIP ViT-bigG/14.
CLIP_L = dict(vocab_size=49408, hidden_size=768, intermediate_size=3072, num_hidden_layers=12,
              num_attention_heads=12, max_position_embeddings=77, hidden_act="quick_gelu", projection_dim=768)
CLIP_G = dict(vocab_size=49408, hidden_size=1280, intermediate_size=5120, num_hidden_layers=32,
              num_attention_heads=20, max_position_embeddings=77, hidden_act="gelu", projection_dim=1280)
TOKENIZER = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "tokenizer")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="1024x1024")
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--cfg", type=float, default=5.0)
    ap.add_argument("--spacing", default=SCHEDULER["timestep_spacing"], help="the scheduler's timestep_spacing")
    ap.add_argument("--prompt", default="a red fox in the snow")
    ap.add_argument("--out", default="reference.png")
    a = ap.parse_args()
    w, h = (int(v) for v in a.size.lower().split("x"))

    t0 = time.perf_counter()
    with torch.no_grad():
        tok = lambda **kw: CLIPTokenizer(os.path.join(TOKENIZER, "vocab.json"), os.path.join(TOKENIZER, "merges.txt"),
                                        model_max_length=77, **kw)
        pipe = StableDiffusionXLPipeline(
            vae=randomize(AutoencoderKL(**VAE)).eval(),
            text_encoder=randomize(CLIPTextModel(CLIPTextConfig(**CLIP_L))).eval(),
            text_encoder_2=randomize(CLIPTextModelWithProjection(CLIPTextConfig(**CLIP_G))).eval(),
            tokenizer=tok(), tokenizer_2=tok(pad_token="!"),
            unet=randomize(UNet2DConditionModel(**UNET)).eval(),
            scheduler=EulerDiscreteScheduler(**dict(SCHEDULER, timestep_spacing=a.spacing)))
    pipe.set_progress_bar_config(disable=True)
    load_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    image = pipe(a.prompt, height=h, width=w, num_inference_steps=a.steps, guidance_scale=a.cfg,
                 generator=torch.Generator().manual_seed(1)).images[0]
    image.save(a.out)
    generate_s = time.perf_counter() - t0
    print(json.dumps({"impl": "diffusers " + diffusers.__version__, "torch": torch.__version__,
                      "threads": torch.get_num_threads(), "dtype": "fp32", "size": a.size, "steps": a.steps,
                      "cfg": a.cfg, "spacing": a.spacing, "load_s": round(load_s, 2),
                      "generate_s": round(generate_s, 2)}))


if __name__ == "__main__":
    main()
