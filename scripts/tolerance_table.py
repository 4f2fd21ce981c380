#!/usr/bin/env python3
"""Summarises the golden comparisons logged by the tests (SDXL_TEST_ERROR_LOG=<file>, see tests/test_util.h) into
the measured error distribution per quantity, the figures the tolerance constants cite (issue 29).

    SDXL_TEST_ERROR_LOG=/tmp/err.tsv build/sdxl_tests_pipeline --gtest_filter='PipelineGolden*:...'
    scripts/tolerance_table.py /tmp/err.tsv

A quantity is a group of logged comparisons (regular expressions on "test<TAB>name" below); per group: how many,
the worst absolute difference, the worst difference relative to the golden's peak |x|, the median, and the bound
the tests applied.
"""
import re
import statistics
import sys

GROUPS = [  # (quantity, pattern on "test\tname"), first match wins
    ("zero-terminal-SNR latents (rel. to peak)", r"(zsnr|vpred_folder).*(step \d+|final_latents)"),
    ("per-step latents", r"step \d+( latents)?\b"),
    ("final latents", r"final_latents"),
    ("decoded image", r"decoded image|\.image$|base_euler_8_cfg5\.image"),
    ("UNet output bf16", r"in BFloat16"),
    ("UNet output fp16", r"in Half"),
    ("web UI 8-bit images (levels)", r"WebUiInpaint"),
    ("adapter goldens (context/pooled/unet)", r"AdapterGoldens"),
    ("UNet components", r"UNet|Temb|Emb"),
    ("VAE components", r"Vae"),
    ("text encoders", r"Clip|Text|Encode"),
]


def main(path):
    rows = {}
    for line in open(path, encoding="utf-8"):
        parts = line.rstrip("\n").split("\t")
        if len(parts) != 5:
            continue
        test, name, diff, peak, bound = parts[0], parts[1], float(parts[2]), float(parts[3]), float(parts[4])
        key = next((q for q, p in GROUPS if re.search(p, test + "\t" + name)), "other: " + test.split(".")[0])
        rows.setdefault(key, []).append((diff, diff / peak if peak > 0 else 0.0, bound, test, name))
    print("| quantity | n | worst abs | median abs | worst rel. to peak | bound applied | worst case |")
    print("|---|---|---|---|---|---|---|")
    for key, r in sorted(rows.items()):
        worst = max(r)
        rel = max(x[1] for x in r)
        bounds = sorted({x[2] for x in r})
        b = f"{bounds[0]:.3g}" if len(bounds) == 1 else f"{bounds[0]:.3g}..{bounds[-1]:.3g}"
        print(f"| {key} | {len(r)} | {worst[0]:.3g} | {statistics.median(x[0] for x in r):.3g} | {rel:.3g} | {b} | "
              f"{worst[3]} {worst[4]} |")


if __name__ == "__main__":
    main(sys.argv[1])
