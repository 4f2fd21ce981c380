"""bf16 in the --reproducible mode (issue 27): how fast, and how thread-count dependent, each way of computing the
bf16 products is under the mode's environment (MKL_CBWR=AVX2,STRICT, ATEN_CPU_CAPABILITY=avx2), on SDXL shapes at
256x256. One fresh process per configuration and thread count (the variables are read at library start); prints
ms per call and whether 2 threads gave the same bits as 1. Configurations:
  default           the normal mode (oneDNN on, no caps)
  oneDNN off        the mode as it was (ONEDNN_MAX_CPU_ISA=AVX2, oneDNN off: ATen's bf16 fallbacks)
  oneDNN BF16 cap   oneDNN kept on for bf16, capped at AVX512_CORE_BF16
  fp32 products     the mode's choice (common/layers.h): fp32 product of the upcast operands, rounded to bf16
Usage (alone on the machine, e.g. under /work/heavy.sh --bench): .venv-ref/bin/python scripts/repro_bf16_options.py
"""
import os
import subprocess
import sys
import tempfile
import time

MODE_ENV = {"MKL_CBWR": "AVX2,STRICT", "ATEN_CPU_CAPABILITY": "avx2"}
CONFIGS = {
    "default": {},
    "oneDNN off": {**MODE_ENV, "ONEDNN_MAX_CPU_ISA": "AVX2", "REPRO_MKLDNN": "0"},
    "oneDNN BF16 cap": {**MODE_ENV, "ONEDNN_MAX_CPU_ISA": "AVX512_CORE_BF16"},
    "fp32 products": {**MODE_ENV, "ONEDNN_MAX_CPU_ISA": "AVX2", "REPRO_MKLDNN": "0", "REPRO_UPCAST": "1"},
}


def run_kernels(threads, out_path):
    import torch
    import torch.nn.functional as F

    torch.backends.mkldnn.enabled = os.environ.get("REPRO_MKLDNN", "1") != "0"
    upcast = os.environ.get("REPRO_UPCAST") == "1"
    torch.set_num_threads(threads)
    g = torch.Generator().manual_seed(1)
    bf16 = torch.bfloat16

    def r(*shape, scale=1.0):
        return (torch.randn(*shape, generator=g) * scale).to(bf16)

    def up(t):
        return t.float() if upcast else t

    def down(t):
        return t.to(bf16) if upcast else t

    x, w, b = r(2, 256, 640), r(5120, 640, scale=0.04), r(5120)
    xc, wc, bc = r(2, 640, 16, 16), r(640, 640, 3, 3, scale=0.015), r(640)
    x1, w1 = r(2, 320, 32, 32), r(640, 320, 1, 1, scale=0.05)
    q, k, v = r(2, 10, 256, 64), r(2, 10, 256, 64), r(2, 10, 256, 64)
    cases = {
        "linear 640->5120, 512 rows": lambda: down(F.linear(up(x), up(w), up(b))),
        "conv 3x3 640 ch at 16x16": lambda: down(F.conv2d(up(xc), up(wc), up(bc), padding=1)),
        "conv 1x1 320->640 at 32x32": lambda: down(F.conv2d(up(x1), up(w1))),
        "SDPA, 256 tokens": lambda: F.scaled_dot_product_attention(q, k, v),
    }
    results, times = {}, {}
    for name, f in cases.items():
        t = time.perf_counter()
        results[name] = f()
        first = time.perf_counter() - t
        if first > 1.0:  # a slow path: its one call is the figure
            times[name] = first
            continue
        t, reps = time.perf_counter(), 0
        while time.perf_counter() - t < 0.3 or reps < 2:
            f()
            reps += 1
        times[name] = (time.perf_counter() - t) / reps
    torch.save({"results": results, "times": times}, out_path)


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        run_kernels(int(sys.argv[2]), sys.argv[3])
        return
    import torch

    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        for config, env in CONFIGS.items():
            out = {}
            for threads in (1, 2):
                path = os.path.join(tmp, f"{len(rows)}-{threads}.pt")
                subprocess.run([sys.executable, __file__, "--child", str(threads), path],
                               env={**os.environ, **env}, check=True)
                out[threads] = torch.load(path)
            rows[config] = out
    names = list(rows["default"][1]["times"])
    print("| bf16 kernel | " + " | ".join(f"{c}, 1 / 2 threads (ms)" for c in CONFIGS) + " |")
    print("|---|" + "---:|" * len(CONFIGS))
    for n in names:
        cells = []
        for c in CONFIGS:
            t1, t2 = rows[c][1]["times"][n] * 1e3, rows[c][2]["times"][n] * 1e3
            a, b = rows[c][1]["results"][n], rows[c][2]["results"][n]
            same = torch.equal(a.view(torch.int16), b.view(torch.int16))
            cells.append(f"{t1:.1f} / {t2:.1f}{'' if same else ' (2 threads differ)'}")
        print(f"| {n} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
