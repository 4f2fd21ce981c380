"""Writes a full-size checkpoint with random weights, for memory and speed measurements without the real files.

Usage: .venv-ref/bin/python scripts/make_random_checkpoint.py KEYS.json OUT.safetensors [SEED]

KEYS.json is one of tests/fixtures/sdxl_keys/*.json (name, shape and dtype of every tensor of a published
SDXL 1.0 file); OUT gets the same names, shapes and dtypes (F16 as published), values uniform with std 0.02
(no NaN, no denormals), `position_ids` = 0..N-1. The file is streamed tensor by tensor, so writing the 6.9 GB
base checkpoint needs little memory. Needs numpy (present in .venv-ref, see scripts/bench_reference.sh).
"""
import json
import math
import os
import sys

import numpy as np

DTYPES = {"F16": np.float16, "BF16": None, "F32": np.float32, "I64": np.int64}


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    keys_path, out_path = sys.argv[1], sys.argv[2]
    rng = np.random.default_rng(int(sys.argv[3]) if len(sys.argv) == 4 else 0)
    tensors = json.load(open(keys_path))["tensors"]
    header, offset = {}, 0
    for name in sorted(tensors):
        spec = tensors[name]
        if DTYPES.get(spec["dtype"]) is None:
            sys.exit(f"{keys_path}: {name}: unsupported dtype {spec['dtype']}")
        nbytes = math.prod(spec["shape"]) * np.dtype(DTYPES[spec["dtype"]]).itemsize
        header[name] = {"dtype": spec["dtype"], "shape": spec["shape"], "data_offsets": [offset, offset + nbytes]}
        offset += nbytes
    header["__metadata__"] = {"format": "pt", "note": "random weights (scripts/make_random_checkpoint.py)"}
    blob = json.dumps(header, separators=(",", ":")).encode()
    blob += b" " * (-len(blob) % 8)  # keep the data 8-byte aligned
    a = 0.02 * math.sqrt(3.0)  # uniform [-a, a] has std 0.02
    tmp = out_path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(len(blob).to_bytes(8, "little"))
        f.write(blob)
        for name in sorted(tensors):
            spec = tensors[name]
            dtype = DTYPES[spec["dtype"]]
            if dtype == np.int64:
                values = np.arange(math.prod(spec["shape"]), dtype=np.int64) % spec["shape"][-1]
            else:
                values = rng.uniform(-a, a, math.prod(spec["shape"])).astype(dtype)
            f.write(values.tobytes())
    os.replace(tmp, out_path)
    print(f"wrote {out_path}: {len(tensors)} tensors, {(offset + len(blob) + 8) / 1e9:.2f} GB")


if __name__ == "__main__":
    main()
