#!/usr/bin/env bash
# The one prepared check for a GPU machine (H100/H200 with PyTorch, CMake, ninja, nvcc; no internet, no apt).
# Builds sdxl-gen against that machine's PyTorch (its libtorch), runs the golden pipeline tests on CUDA
# (fp32 at the CPU tolerances; fp16/bf16 at the stated looser one), a tiny CLI run on CUDA compared with the
# same run on the CPU, `sdxl-gen bench` at 1024x1024 (fp16 and bf16, 30 Euler steps, CFG) and the reference
# (diffusers, fp16, SDPA) on the same work, then prints one markdown table. Budget: under 8 minutes.
#
# Before the session, here: scripts/device-deps.sh (fills the git-ignored .device-deps/). On the device tool:
#   run(command="scripts/device-check.sh", carry=[".device-deps"], timeout_s=540)
# Everything it writes goes to $OUT (when set) or build-device/out/.
#
# Size: the device tool sends at most 64 MiB of working tree. The tracked fixtures are ~97 MB, most of it the
# two single-file checkpoints (49 MB) that only the layout tests use; leave those out of the copy that
# travels (untrack them in a scratch commit-less index: `git rm -q --cached tests/fixtures/tiny_sdxl_*.safetensors`
# + an entry in .git/info/exclude, then `git reset -q` after the run). Tests that need them are skipped here.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
OUT=${OUT:-$ROOT/build-device/out}
mkdir -p "$OUT"
LOG="$OUT/device-check.log"
exec > >(tee "$LOG") 2>&1
step() { echo "== $(date +%T) $*"; }

step "machine"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, torch.cuda.get_device_name(0))'

step "dependencies from .device-deps"
DEPS=/tmp/sdxl-deps
mkdir -p "$DEPS" /tmp/sdxl-site
for f in .device-deps/debs/*.deb; do dpkg -x "$f" "$DEPS"; done
python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/sdxl-site .device-deps/whl/*.whl \
  && export PYTHONPATH=/tmp/sdxl-site${PYTHONPATH:+:$PYTHONPATH}

step "build (Release, unity)"
TORCH_PREFIX=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')
GTEST_DIR=$(dirname "$(find "$DEPS" -name GTestConfig.cmake | head -1)")
cmake -S . -B build-device -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$TORCH_PREFIX;$DEPS/usr" \
  -DGTest_DIR="$GTEST_DIR" -DCMAKE_CXX_FLAGS="-isystem $DEPS/usr/include" -DTORCH_CUDA_ARCH_LIST=9.0 >/dev/null \
  && ninja -C build-device -j"$(nproc)" sdxl-gen sdxl_tests_pipeline || { echo "BUILD FAILED"; exit 1; }

step "golden pipeline tests on CUDA"
TEST_FILTER='-*SingleFile*'
[ -f tests/fixtures/tiny_sdxl_base.safetensors ] && TEST_FILTER='*'
SDXL_TEST_DEVICE=cuda build-device/sdxl_tests_pipeline --gtest_filter="$TEST_FILTER" | grep -E '^\[ *(OK|FAILED|PASSED|SKIPPED) |png mean|Failure' \
  | tee "$OUT/tests.txt"
tests_status=${PIPESTATUS[0]}

step "tiny CLI run: CUDA (fp32) vs CPU"
for dev in cpu cuda; do
  build-device/sdxl-gen --model tiny --prompt "a lighthouse at dusk" --size 256x256 --steps 8 --seed 7 --quiet \
    --device "$dev" --dtype fp32 --vae-dtype fp32 --out "$OUT/tiny_$dev.png" --overwrite
done
build-device/sdxl-gen compare "$OUT/tiny_cpu.png" "$OUT/tiny_cuda.png" | tee "$OUT/compare.txt"

step "bench 1024x1024, 30 steps"
for dtype in fp16 bf16; do
  build-device/sdxl-gen bench --device cuda --dtype "$dtype" --size 1024x1024 --steps 30 --repeat 5 --json \
    | tail -1 > "$OUT/bench_$dtype.json"
done
python3 scripts/bench_reference.py --size 1024x1024 --dtype fp16 --vae-dtype fp32 --steps 30 --repeat 5 \
  > "$OUT/reference_fp16.json" || echo "reference pipeline unavailable"

step "table"
python3 - "$OUT" <<'PY'
import json, os, sys
out = sys.argv[1]
cols = [("sdxl-gen fp16", "bench_fp16.json"), ("sdxl-gen bf16", "bench_bf16.json"),
        ("diffusers fp16 (VAE fp32)", "reference_fp16.json")]
data = []
for name, f in cols:
    try:
        data.append((name, json.load(open(os.path.join(out, f)))))
    except Exception:
        pass
rows = [("UNet forward, batch 1", "unet_forward_b1_s"), ("UNet forward, batch 2", "unet_forward_s"),
        ("sampling step with CFG", "step_s"), ("VAE decode", "vae_decode_s"),
        ("30 steps + decode (noise to image)", "noise_to_image_s"), ("peak CUDA memory (MiB)", "peak_cuda_mb")]
print("| quantity | " + " | ".join(n for n, _ in data) + " |")
print("|---|" + "---:|" * len(data))
for label, key in rows:
    cells = [f"{d[key]:.3f}" if isinstance(d.get(key), (int, float)) else "" for _, d in data]
    print(f"| {label} | " + " | ".join(cells) + " |")
PY
echo "tests exit status: $tests_status"
exit "$tests_status"
