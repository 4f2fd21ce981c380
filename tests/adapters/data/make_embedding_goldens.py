"""Golden fixtures for textual-inversion embeddings (tests/adapters): one random SDXL embedding file
(`clip_l` [2, 32], `clip_g` [2, 48] for the tiny encoders) and the prompt embeddings diffusers makes with it.

Run from the repository root with the pinned reference environment (scripts/reference_env.sh):
    .venv-ref/bin/python tests/adapters/data/make_embedding_goldens.py
It rewrites tests/adapters/data/embeddings/tinyemb.safetensors, tests/adapters/data/embedding_goldens.safetensors
and tests/adapters/data/embedding_hashes.json (the PNG metadata's hash of the file, see write_hashes).

Reference: diffusers 0.27.2 StableDiffusionXLPipeline.load_textual_inversion(state_dict["clip_l"], token=NAME,
text_encoder=pipe.text_encoder, tokenizer=pipe.tokenizer) and the same with clip_g on text_encoder_2 /
tokenizer_2 (the documented SDXL recipe), then encode_prompt with a positive and a negative prompt that use NAME.
"""
import hashlib
import json
import sys

import torch
from safetensors.torch import save_file

sys.path.insert(0, "tests/adapters/data")
from make_adapter_goldens import load_pipe  # noqa: E402  (same tiny pipeline, link placeholders resolved)

OUT = "tests/adapters/data"
NAME = "tinyemb"
PROMPT = f"a photo of {NAME} on a table"
NEGATIVE = f"blurry, {NAME}"


def main():
    g = torch.Generator().manual_seed(99)
    emb = {"clip_l": torch.randn(2, 32, generator=g) * 0.5, "clip_g": torch.randn(2, 48, generator=g) * 0.5}
    save_file(emb, f"{OUT}/embeddings/{NAME}.safetensors")
    pipe = load_pipe()
    pipe.load_textual_inversion(emb["clip_l"], token=NAME, text_encoder=pipe.text_encoder, tokenizer=pipe.tokenizer)
    pipe.load_textual_inversion(emb["clip_g"], token=NAME, text_encoder=pipe.text_encoder_2, tokenizer=pipe.tokenizer_2)
    with torch.no_grad():
        ctx, neg, pooled, neg_pooled = pipe.encode_prompt(PROMPT, device="cpu", do_classifier_free_guidance=True,
                                                          negative_prompt=NEGATIVE)
    ids = {f"ids_{i}": torch.tensor(tok(pipe.maybe_convert_prompt(PROMPT, tok)).input_ids)
           for i, tok in ((1, pipe.tokenizer), (2, pipe.tokenizer_2))}
    save_file({"context": ctx.contiguous(), "pooled": pooled.contiguous(), "negative_context": neg.contiguous(),
               "negative_pooled": neg_pooled.contiguous(), **ids}, f"{OUT}/embedding_goldens.safetensors")
    print("prompt ids:", ids)
    write_hashes()


def write_hashes():
    """What PNG metadata records for the embedding: the sha256 of the whole file and the web UI's "TI hashes"
    value, its first 12 hex digits (AUTOMATIC1111 modules/textual_inversion: Embedding.shorthash)."""
    path = f"{OUT}/embeddings/{NAME}.safetensors"
    sha = hashlib.sha256(open(path, "rb").read()).hexdigest()
    with open(f"{OUT}/embedding_hashes.json", "w") as f:
        json.dump({NAME: {"sha256": sha, "ti_hash": sha[:12]}}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
