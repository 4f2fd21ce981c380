#!/usr/bin/env python3
"""Writes the seed corpora fuzz/corpus/<target>/ from the test fixtures (stdlib only; run from anywhere).

The seeds are small on purpose (the whole corpus stays well under 2 MB): libFuzzer mutates them, so
one valid example of each structure matters more than size. Re-running overwrites the seeds it made.
"""
import json
import os
import struct
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "tests", "fixtures")
CORPUS = os.path.join(ROOT, "fuzz", "corpus")


def put(target, name, data):
    folder = os.path.join(CORPUS, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)


# --- safetensors -------------------------------------------------------------------------------
def safetensors(header, data=b""):
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - (len(text) + 8) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + data


def safetensors_seeds():
    with open(os.path.join(FIXTURES, "tiny-sdxl", "text_encoder", "model.safetensors"), "rb") as f:
        raw = f.read()
    (header_len,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + header_len])
    data = raw[8 + header_len:]
    # The real header with only a little data after it: every big tensor now runs past the end.
    put("safetensors_header", "real_header_truncated.safetensors", raw[:8 + header_len + 256])
    # A valid file: the real file's four smallest tensors, packed again.
    tensors = sorted((k for k in header if k != "__metadata__"),
                     key=lambda k: header[k]["data_offsets"][1] - header[k]["data_offsets"][0])[:4]
    small, blob = {}, b""
    if "__metadata__" in header:
        small["__metadata__"] = header["__metadata__"]
    for k in tensors:
        b, e = header[k]["data_offsets"]
        small[k] = {"dtype": header[k]["dtype"], "shape": header[k]["shape"],
                    "data_offsets": [len(blob), len(blob) + e - b]}
        blob += data[b:e]
    put("safetensors_header", "real_small.safetensors", safetensors(small, blob))
    put("safetensors_header", "metadata_only.safetensors", safetensors({"__metadata__": {"format": "pt"}}))
    put("safetensors_header", "empty_header.safetensors", safetensors({}))
    # Zero-sized tensors, every dtype, and a tensor at an odd offset (the reader copies misaligned data).
    mixed, blob = {}, b""
    for name, dtype, size in [("u8", "U8", 1), ("f32_misaligned", "F32", 4), ("f16", "F16", 2),
                              ("bf16", "BF16", 2), ("f64", "F64", 8), ("i64", "I64", 8), ("i32", "I32", 4),
                              ("i16", "I16", 2), ("i8", "I8", 1), ("bool", "BOOL", 1)]:
        mixed[name] = {"dtype": dtype, "shape": [2], "data_offsets": [len(blob), len(blob) + 2 * size]}
        blob += bytes(range(1, 2 * size + 1))
    mixed["empty"] = {"dtype": "F32", "shape": [0, 3], "data_offsets": [0, 0]}
    mixed["scalar"] = {"dtype": "F32", "shape": [], "data_offsets": [len(blob), len(blob) + 4]}
    blob += struct.pack("<f", 1.5)
    put("safetensors_header", "all_dtypes.safetensors", safetensors(mixed, blob))


# --- tokenizer ---------------------------------------------------------------------------------
def tokenizer_seeds():
    with open(os.path.join(FIXTURES, "tokenizer", "tokenizer_golden.json"), encoding="utf-8") as f:
        golden = json.load(f)
    for case in golden["prompts"]:
        put("tokenizer", case["name"] + ".txt", case["prompt"].encode("utf-8", "surrogatepass"))
    put("tokenizer", "invalid_utf8.txt", b"a photo of a \xff\xfe cat \xc3")


# --- prompt files ------------------------------------------------------------------------------
def prompt_file_seeds():
    put("prompt_file", "plain.txt", "\ufeffa cat\r\n\r\n# a comment\n  a dog on the moon  \ncaf\u00e9 \u5b87\u5b99")
    put("prompt_file", "bad_lines.txt", b"good one\nbad \xff\xfe bytes\nnul\0inside\nlast good\n")
    put("prompt_file", "batch.jsonl",
        '{"prompt": "a cat", "seed": 1}\r\n\n'
        '{"prompt": "a dog", "negative_prompt": "blurry", "steps": 30, "size": "1024x768"}\n'
        '{"prompt": "x", "cfg": 7.5, "sampler": "euler_a", "out": "{index:03d}-{prompt}"}\n'
        '[1, 2]\n{"prompt": "a", "colour": "red"}\n{"prompt": "\\ud800"}\n{"prompt": 1e999}\n{broken\n')
    put("prompt_file", "nested.jsonl", "[" * 200 + "\n" + '{"prompt": {"a": [1, {"b": null}]}}\n')


# --- PNG ---------------------------------------------------------------------------------------
def chunk(kind, payload):
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def png(width, height, bit_depth, colour_type, rows, extra=b"", interlace=0):
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, interlace)
    raw = b"".join(b"\0" + row for row in rows)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + extra + chunk(b"IDAT", zlib.compress(raw)) +
            chunk(b"IEND", b""))


def png_seeds():
    with open(os.path.join(FIXTURES, "pipeline_golden", "base_ddim_4_cfg1.png"), "rb") as f:
        put("png", "fixture_base_ddim_4_cfg1.png", f.read())
    w, h = 5, 3
    put("png", "rgb8.png", png(w, h, 8, 2, [bytes((x * 40 + y * 7 + c) % 256 for x in range(w) for c in range(3))
                                             for y in range(h)]))
    put("png", "rgba16.png", png(w, h, 16, 6, [bytes((x + y + c) % 256 for x in range(w) for c in range(8))
                                              for y in range(h)]))
    put("png", "grey1.png", png(w, h, 1, 0, [bytes([0b10101000]) for _ in range(h)]))
    put("png", "grey_alpha8.png", png(w, h, 8, 4, [bytes(range(2 * w)) for _ in range(h)]))
    palette = chunk(b"PLTE", bytes([255, 0, 0, 0, 255, 0, 0, 0, 255])) + chunk(b"tRNS", bytes([128]))
    put("png", "palette4_trns.png", png(w, h, 4, 3, [bytes([0x01, 0x20, 0x10]) for _ in range(h)], palette))
    text = (chunk(b"tEXt", b"parameters\0a cat, steps 30") +
            chunk(b"zTXt", b"Comment\0\0" + zlib.compress("caf\xe9".encode("latin-1"))) +
            chunk(b"iTXt", b"Title\0\0\0en\0Titel\0" + "\u5b87\u5b99".encode()))
    put("png", "text_chunks.png", png(w, h, 8, 2, [bytes(3 * w) for _ in range(h)], text))
    # Adam7: the raw stream is the seven passes; for a 1x1 image only pass 1 has a pixel.
    put("png", "interlaced_1x1.png", png(1, 1, 8, 2, [b"\x10\x20\x30"], interlace=1))


# --- sizes and names ---------------------------------------------------------------------------
def size_args_seeds():
    seeds = {
        "default.txt": "1024x1024\n0,0\n1024x1024\n{index:05d}-{seed}-{prompt:.40}\na cat on the moon\n7.5",
        "portrait.txt": "832X1216\n16,8\n2048x4096\n{prompt}_{cfg:.2f}_{width}x{height}.png\nA Cat!\n5",
        "escape.txt": "64x64\n0,16384\n1x1\n{{literal}}-{model}-{steps:020d}\n../../etc/passwd\nnan",
        "hostile.txt": b"99999999999999999999x8\n-1,2\n 8x8\n../{prompt}\n\x01\x7f\xc3\xa9\xff..\n1e308",
        "unicode.txt": "16384x16384\n8,8\n7x5\n\u5b87\u5b99-{sampler:.3}\n\u00e9t\u00e9 \u2603 caf\u00e9\n-0",
    }
    for name, text in seeds.items():
        put("size_args", name, text)


if __name__ == "__main__":
    safetensors_seeds()
    tokenizer_seeds()
    prompt_file_seeds()
    png_seeds()
    size_args_seeds()
