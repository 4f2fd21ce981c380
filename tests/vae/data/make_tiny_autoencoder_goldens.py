"""Regenerates the AutoencoderTiny (TAESD/TAESDXL architecture) test data in tests/vae/data/:
  - tiny-taesdxl/: a diffusers AutoencoderTiny folder (config.json + diffusion_pytorch_model.safetensors, fp16)
    with random weights, the default block counts (1,3,3,3)/(3,3,3,1) and 8 channels instead of 64;
  - taesdxl_encoder.safetensors / taesdxl_decoder.safetensors: the same weights in the single-file layout of
    madebyollin's taesd.py (bare nn.Sequential names; the decoder's index 0 is its parameter-free clamp);
  - tiny_autoencoder_golden.safetensors: latents [1,4,4,6] and their decode [1,3,32,48], an image [1,3,32,48]
    in [-1,1] and its encode [1,4,4,6], from diffusers v0.27.2 AutoencoderTiny in float32 on the fp16 weights.

Run from the repository root with the pinned reference environment (scripts/reference_env.sh):
    .venv-ref/bin/python tests/vae/data/make_tiny_autoencoder_goldens.py
"""
import torch
from diffusers import AutoencoderTiny
from safetensors.torch import save_file

DATA = "tests/vae/data/"
torch.manual_seed(0)
vae = AutoencoderTiny(encoder_block_out_channels=(8, 8, 8, 8), decoder_block_out_channels=(8, 8, 8, 8))
with torch.no_grad():
    for p in vae.parameters():  # a wider spread than the default init, so that no ReLU stays dead
        p.mul_(1.5).add_(0.02 * torch.randn_like(p))
vae = vae.half().float()  # golden maths in float32 on exactly the stored fp16 values
vae.half().save_pretrained(DATA + "tiny-taesdxl", safe_serialization=True)
vae = vae.float().eval()

state = {k: v.half().contiguous() for k, v in vae.state_dict().items()}
encoder = {k[len("encoder.layers."):]: v for k, v in state.items() if k.startswith("encoder.layers.")}
decoder = {}
for k, v in state.items():
    if k.startswith("decoder.layers."):
        index, rest = k[len("decoder.layers."):].split(".", 1)
        decoder[f"{int(index) + 1}.{rest}"] = v
save_file(encoder, DATA + "taesdxl_encoder.safetensors")
save_file(decoder, DATA + "taesdxl_decoder.safetensors")

g = torch.Generator().manual_seed(1)
latents = torch.randn(1, 4, 4, 6, generator=g) * 2
image = torch.rand(1, 3, 32, 48, generator=g) * 2 - 1
with torch.no_grad():
    golden = {"latents": latents, "decoded": vae.decode(latents).sample, "image": image,
              "encoded": vae.encode(image).latents}
save_file({k: v.contiguous() for k, v in golden.items()}, DATA + "tiny_autoencoder_golden.safetensors")
print({k: tuple(v.shape) for k, v in golden.items()}, "decoded std", float(golden["decoded"].std()))
