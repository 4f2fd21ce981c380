#!/usr/bin/env bash
# Offline tests of scripts/get-weights.sh: the sha256/size verification on good, truncated and corrupt local
# files, a missing file, and the no-network path (an endpoint nothing listens on: one line, exit 3, in seconds).
# The expected sha256 comes from Python's hashlib, not from the script's own sha256sum.
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
SCRIPT="$ROOT/scripts/get-weights.sh"
source "$ROOT/tests/scripts/check_lib.sh"

make_file() { python3 -c "import sys,os; open(sys.argv[1],'wb').write(bytes(range(256))*4096)" "$1"; }
make_file "$T/good.bin"
SHA=$(python3 -c "import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],'rb').read()).hexdigest())" "$T/good.bin")
SIZE=$(python3 -c "import os,sys; print(os.path.getsize(sys.argv[1]))" "$T/good.bin")
printf 'demo\tnobody/demo\tdemo.safetensors\tdemo.safetensors\t%s\t%s\n' "$SIZE" "$SHA" > "$T/table.tsv"
export SDXL_WEIGHTS_TABLE="$T/table.tsv" SDXL_WEIGHTS_VENV="$T/venv"
W="$T/w"; mkdir -p "$W"

# Good file: verified.
cp "$T/good.bin" "$W/demo.safetensors"
out=$("$SCRIPT" demo --dir "$W" --verify-only 2>&1); rc=$?
check "good file passes (rc $rc: $out)" '[ $rc -eq 0 ] && [[ "$out" == *"sha256 ok"* ]]'

# Truncated: named, removed, exit 1.
head -c $((SIZE / 2)) "$T/good.bin" > "$W/demo.safetensors"
out=$("$SCRIPT" demo --dir "$W" --verify-only 2>&1); rc=$?
check "truncated file fails (rc $rc: $out)" '[ $rc -eq 1 ] && [[ "$out" == *"$W/demo.safetensors is truncated"* ]]'
check "truncated file removed" '[ ! -e "$W/demo.safetensors" ]'

# Corrupt (same size, one byte changed): named, removed, exit 1.
cp "$T/good.bin" "$W/demo.safetensors"
printf '\xff' | dd of="$W/demo.safetensors" bs=1 seek=1000 conv=notrunc status=none
out=$("$SCRIPT" demo --dir "$W" --verify-only 2>&1); rc=$?
check "corrupt file fails (rc $rc: $out)" '[ $rc -eq 1 ] && [[ "$out" == *"$W/demo.safetensors: sha256"*"expected $SHA"* ]]'
check "corrupt file removed" '[ ! -e "$W/demo.safetensors" ]'

# Missing file with --verify-only: exit 1, named.
out=$("$SCRIPT" demo --dir "$W" --verify-only 2>&1); rc=$?
check "missing file fails (rc $rc: $out)" '[ $rc -eq 1 ] && [[ "$out" == *"$W/demo.safetensors: missing"* ]]'

# No network: nothing listens on port 9 of loopback; must fail in seconds, one line, exit 3, no venv made.
start=$(date +%s)
out=$(HF_ENDPOINT=http://127.0.0.1:9 "$SCRIPT" demo --dir "$W" 2>&1); rc=$?
took=$(( $(date +%s) - start ))
check "no network: exit 3 (rc $rc: $out)" '[ $rc -eq 3 ]'
check "no network: one line naming the endpoint ($out)" '[ "$(printf "%s\n" "$out" | wc -l)" -eq 1 ] && [[ "$out" == *"cannot reach http://127.0.0.1:9"* ]]'
check "no network: fails in seconds (took ${took}s)" '[ $took -le 10 ]'
check "no network: no venv created" '[ ! -e "$T/venv" ]'

# A good file already there needs no network at all.
cp "$T/good.bin" "$W/demo.safetensors"
out=$(HF_ENDPOINT=http://127.0.0.1:9 "$SCRIPT" demo --dir "$W" 2>&1); rc=$?
check "already there: exit 0 without network (rc $rc: $out)" '[ $rc -eq 0 ] && [[ "$out" == *"already there"* ]]'

# The Hugging Face cache path, offline (HF_HUB_OFFLINE=1): needs the client's venv (scripts/get-weights.sh
# --setup makes it; CI does). A cached file is placed in DIR and verified; a corrupt cached one is refused.
HUB_VENV="${SDXL_WEIGHTS_TEST_VENV:-$ROOT/.venv-weights}"
if [ -x "$HUB_VENV/bin/python" ]; then
  C="$T/cache/models--nobody--demo"; mkdir -p "$C/blobs" "$C/refs" "$C/snapshots/rev1"
  cp "$T/good.bin" "$C/blobs/$SHA"; printf rev1 > "$C/refs/main"
  ln -s "../../blobs/$SHA" "$C/snapshots/rev1/demo.safetensors"
  rm -f "$W/demo.safetensors"
  out=$(HF_HUB_CACHE="$T/cache" HF_HUB_OFFLINE=1 SDXL_WEIGHTS_VENV="$HUB_VENV" "$SCRIPT" demo --dir "$W" 2>&1); rc=$?
  check "from the cache (rc $rc: $out)" '[ $rc -eq 0 ] && [[ "$out" == *"from the Hugging Face cache"*"sha256 ok"* ]] && cmp -s "$W/demo.safetensors" "$T/good.bin"'
  printf '\xff' | dd of="$C/blobs/$SHA" bs=1 seek=5 conv=notrunc status=none
  rm -f "$W/demo.safetensors"
  out=$(HF_HUB_CACHE="$T/cache" HF_HUB_OFFLINE=1 SDXL_WEIGHTS_VENV="$HUB_VENV" "$SCRIPT" demo --dir "$W" 2>&1); rc=$?
  check "corrupt cached file refused (rc $rc: $out)" '[ $rc -eq 1 ] && [ ! -e "$W/demo.safetensors" ]'
else
  echo "skipped: the Hugging Face cache cases ($HUB_VENV missing: scripts/get-weights.sh --setup)"
fi

# Usage errors: exit 2.
out=$("$SCRIPT" nonsense --dir "$W" 2>&1); rc=$?
check "unknown model: exit 2 (rc $rc: $out)" '[ $rc -eq 2 ] && [[ "$out" == *"unknown model"*"nonsense"* ]]'

# The real table: every pinned sha256 is 64 hex digits and every pinned size a number.
unset SDXL_WEIGHTS_TABLE
bad=$(grep -v '^#' "$ROOT/data/official-weights.tsv" | awk -F'\t' 'NF != 6 || ($6 != "-" && (length($6) != 64 || $6 !~ /^[0-9a-f]+$/)) || ($5 != "-" && $5 !~ /^[0-9]+$/)')
check "official table well formed ($bad)" '[ -z "$bad" ]'

finish
