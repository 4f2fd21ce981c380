"""Measures the CPU layout options issue 14 asks about on the full-size SDXL UNet, on the libtorch sdxl-gen uses.

The same torch build (the pinned .venv-ref) runs the diffusers UNet (the module sdxl-gen mirrors, with the
same ATen/oneDNN kernels underneath) at batch 1 in one dtype, three ways:
  plain          contiguous (NCHW) tensors, as sdxl-gen runs today
  channels_last  weights and input in channels-last (NHWC) memory format, so oneDNN convolutions skip reorders
  mkldnn         torch.utils.mkldnn.to_mkldnn: Linear/Conv2d weights prepacked once into oneDNN's blocked layout
One warm-up, median of --repeat forwards each. Prints one JSON object (seconds).

Usage: .venv-ref/bin/python scripts/bench_cpu_layouts.py [--size 512x512] [--dtype bf16] [--repeat 3]
"""
import argparse
import json
import statistics
import time

import torch
import torch.utils.mkldnn  # a submodule torch does not import by itself
from diffusers import UNet2DConditionModel

from bench_reference import DTYPES, UNET, randomize


def median_time(f, repeat):
    f()
    ts = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="512x512")
    ap.add_argument("--dtype", default="bf16", choices=DTYPES)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    w, h = (int(v) for v in a.size.lower().split("x"))
    dtype = DTYPES[a.dtype]
    out = {"torch": torch.__version__, "threads": torch.get_num_threads(), "dtype": a.dtype, "size": a.size}
    with torch.inference_mode():
        unet = randomize(UNet2DConditionModel(**UNET)).to(dtype).eval()
        x = torch.randn(1, 4, h // 8, w // 8, dtype=dtype)
        ctx = torch.randn(1, 77, 2048, dtype=dtype)
        cond = {"text_embeds": torch.randn(1, 1280, dtype=dtype),
                "time_ids": torch.tensor([[h, w, 0, 0, h, w]], dtype=dtype)}
        t = torch.full((1,), 500.0)
        run = lambda m, xin: m(xin, t, encoder_hidden_states=ctx, added_cond_kwargs=cond)
        out["plain_s"] = median_time(lambda: run(unet, x), a.repeat)

        unet_cl = unet.to(memory_format=torch.channels_last)
        x_cl = x.contiguous(memory_format=torch.channels_last)
        out["channels_last_s"] = median_time(lambda: run(unet_cl, x_cl), a.repeat)
        unet = unet_cl.to(memory_format=torch.contiguous_format)

        try:
            unet_mk = torch.utils.mkldnn.to_mkldnn(unet, dtype)
            out["mkldnn_s"] = median_time(lambda: run(unet_mk, x), a.repeat)
        except Exception as e:  # report why, do not hide it
            out["mkldnn_error"] = f"{type(e).__name__}: {str(e).splitlines()[0]}"
    for k in ("channels_last_s", "mkldnn_s"):
        if k in out:
            out[k.replace("_s", "_vs_plain")] = round(out[k] / out["plain_s"], 3)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
