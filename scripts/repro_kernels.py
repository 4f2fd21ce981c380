"""Which CPU kernels change their results with the thread count or the instruction-set path (issue 27).

Runs the kernels an SDXL UNet/VAE forward uses, on SDXL-shaped random inputs at 256x256 (latents 32x32), in
fp32 and bf16, once per configuration in a fresh process (thread count, MKL_CBWR, ONEDNN_MAX_CPU_ISA are read at
library start), and compares every output bit for bit with the 1-thread default run. Same libtorch as sdxl-gen
(the torch 2.11.0 wheel). Usage: .venv-ref/bin/python scripts/repro_kernels.py [--markdown] [--groups="default;oneDNN off"]
"""
import json
import os
import subprocess
import sys
import tempfile

# Each group of environment settings runs with 1 and 2 threads; the table compares 2 threads with 1 thread in
# the same group, and each group's 1-thread run with the default one (another code path on the same machine).
GROUPS = {  # name: extra environment (REPRO_MKLDNN=0: torch.backends.mkldnn.enabled = False, as --reproducible)
    "default": {},
    "MKL_CBWR=AVX2,STRICT": {"MKL_CBWR": "AVX2,STRICT"},
    "ONEDNN_MAX_CPU_ISA=AVX2": {"ONEDNN_MAX_CPU_ISA": "AVX2"},
    "ATEN_CPU_CAPABILITY=avx2": {"ATEN_CPU_CAPABILITY": "avx2"},
    "oneDNN off": {"REPRO_MKLDNN": "0"},
    "oneDNN off, MKL_CBWR=AVX2,STRICT, ATEN_CPU_CAPABILITY=avx2": {
        "REPRO_MKLDNN": "0", "MKL_CBWR": "AVX2,STRICT", "ATEN_CPU_CAPABILITY": "avx2"},
}


def run_kernels(out_path):
    import torch
    import torch.nn.functional as F

    torch.backends.mkldnn.enabled = os.environ.get("REPRO_MKLDNN", "1") != "0"
    torch.manual_seed(0)
    results = {}
    for dtype_name, dtype in (("fp32", torch.float32), ("bf16", torch.bfloat16)):
        g = torch.Generator().manual_seed(1)

        def r(*shape, scale=1.0):
            return (torch.randn(*shape, generator=g) * scale).to(dtype)

        x640 = r(2, 256, 640)
        cases = {
            "linear 640->640 (attention projection)": lambda: F.linear(x640, r(640, 640, scale=0.04), r(640)),
            "linear 640->5120 (feed-forward GEGLU in)": lambda: F.linear(x640, r(5120, 640, scale=0.04), r(5120)),
            "linear 2048->640 (cross-attention k/v)": lambda: F.linear(r(2, 77, 2048), r(640, 2048, scale=0.02)),
            "conv 3x3 320->320 at 32x32": lambda: F.conv2d(r(2, 320, 32, 32), r(320, 320, 3, 3, scale=0.02), r(320), padding=1),
            "conv 3x3 640->640 at 16x16": lambda: F.conv2d(r(2, 640, 16, 16), r(640, 640, 3, 3, scale=0.015), r(640), padding=1),
            "conv 1x1 320->640": lambda: F.conv2d(r(2, 320, 32, 32), r(640, 320, 1, 1, scale=0.05)),
            "group_norm 32 groups": lambda: F.group_norm(r(2, 320, 32, 32), 32, r(320), r(320), 1e-5),
            "layer_norm 640": lambda: F.layer_norm(x640, (640,), r(640), r(640)),
            "softmax over 256": lambda: torch.softmax(r(2, 10, 256, 256), -1),
            "scaled_dot_product_attention (self, 256 tokens)": lambda: F.scaled_dot_product_attention(
                r(2, 10, 256, 64), r(2, 10, 256, 64), r(2, 10, 256, 64)),
            "scaled_dot_product_attention (cross, 77 tokens)": lambda: F.scaled_dot_product_attention(
                r(2, 10, 256, 64), r(2, 10, 77, 64), r(2, 10, 77, 64)),
            "bmm (baddbmm attention scores)": lambda: torch.bmm(r(20, 256, 64), r(20, 64, 256)),
            "sum of 2.6M values": lambda: r(2, 320, 64, 64).sum(),
            "mean over channels": lambda: r(2, 320, 64, 64).mean(dim=(2, 3)),
            "silu": lambda: F.silu(r(2, 320, 32, 32)),
            "gelu (tanh)": lambda: F.gelu(r(2, 256, 5120), approximate="tanh"),
            "upsample nearest x2": lambda: F.interpolate(r(2, 640, 16, 16), scale_factor=2.0, mode="nearest"),
        }
        with torch.no_grad():
            for name, fn in cases.items():
                results[f"{dtype_name}: {name}"] = fn().float()
    torch.save(results, out_path)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        run_kernels(sys.argv[2])
        return
    import torch
    groups = [g for g in GROUPS if not any(a.startswith("--groups=") for a in sys.argv)] or []
    for a in sys.argv:
        if a.startswith("--groups="):
            groups = [g for g in GROUPS if g in a[len("--groups="):].split(";")]
    outputs = {}
    with tempfile.TemporaryDirectory() as tmp:
        for group in groups:
            for threads in (1, 2):
                path = os.path.join(tmp, f"{len(outputs)}.pt")
                e = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads), **GROUPS[group])
                subprocess.run([sys.executable, __file__, "--child", path], env=e, check=True)
                outputs[(group, threads)] = torch.load(path)

    def compare(a, b):
        diff = (a - b).abs()
        n = int((diff != 0).sum())
        rel = float(diff.max() / b.abs().max().clamp_min(1e-30))
        return "same" if n == 0 else f"{n}/{b.numel()} differ, max rel {rel:.1e}"

    columns, table = [], {}
    for group in groups:
        columns.append(f"{group}: 2 vs 1 thread")
        if group != "default" and ("default", 1) in outputs:
            columns.append(f"{group} vs default (1 thread)")
        for kernel, one in outputs[(group, 1)].items():
            row = table.setdefault(kernel, {})
            row[f"{group}: 2 vs 1 thread"] = compare(outputs[(group, 2)][kernel], one)
            if f"{group} vs default (1 thread)" in columns:
                row[f"{group} vs default (1 thread)"] = compare(one, outputs[("default", 1)][kernel])
    if "--markdown" in sys.argv:
        print("| kernel | " + " | ".join(columns) + " |")
        print("|---|" + "---|" * len(columns))
        for kernel, row in table.items():
            print(f"| {kernel} | " + " | ".join(row[c] for c in columns) + " |")
    else:
        print(json.dumps(table, indent=1))


if __name__ == "__main__":
    main()
