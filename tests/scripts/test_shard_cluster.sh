#!/usr/bin/env bash
# A sharded batch as a cluster runs it, on this machine with the tiny model: three shard processes started at
# once with `--shard auto`, each seeing another scheduler's variables (a Slurm array task, a Kubernetes Indexed
# Job pod with auto/3, the generic SHARD_INDEX/SHARD_COUNT); the second is killed (SIGKILL) mid-item, as a
# preempted task dies. batch-status then reports the batch incomplete with the command that continues it;
# rerunning that shard with --resume completes it: the union is the whole batch, no item twice, every PNG
# valid, batch-status exit 0. Also: the examples' syntax (YAML parsed by PyYAML, the sbatch script by bash -n).
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
GEN="${SDXL_GEN:-$ROOT/build/sdxl-gen}"
GEN_TEST="${SDXL_GEN_TEST:-$ROOT/build/sdxl-gen-test}"
source "$ROOT/tests/scripts/check_lib.sh"

cd "$T"
for i in 0 1 2 3 4 5; do echo "{\"prompt\": \"item $i\", \"seed\": $((100 + i))}"; done > prompts.jsonl
FLAGS="--model tiny --size 64x64 --steps 1 --quiet --prompt-file prompts.jsonl --out-dir out --shard auto"

# The three shards at once (items 0,3 / 1,4 / 2,5); shard 1 dies after the first step of item 4.
(env -u SHARD_INDEX SLURM_ARRAY_TASK_ID=0 SLURM_ARRAY_TASK_COUNT=3 "$GEN" $FLAGS > s0.log 2>&1; echo $? > s0.rc) &
(JOB_COMPLETION_INDEX=1 SDXL_GEN_FAIL_ITEM=4:kill "$GEN_TEST" $FLAGS/3 > s1.log 2>&1; echo $? > s1.rc) &
(SHARD_INDEX=2 SHARD_COUNT=3 "$GEN" $FLAGS > s2.log 2>&1; echo $? > s2.rc) &
wait
check "shard 0 ok ($(cat s0.rc): $(tail -2 s0.log))" '[ "$(cat s0.rc)" = 0 ]'
check "shard 1 killed ($(cat s1.rc))" '[ "$(cat s1.rc)" = 137 ]'
check "shard 2 ok ($(cat s2.rc): $(tail -2 s2.log))" '[ "$(cat s2.rc)" = 0 ]'
check "a manifest per shard" '[ -f out/manifest-0-of-3.jsonl ] && [ -f out/manifest-1-of-3.jsonl ] && [ -f out/manifest-2-of-3.jsonl ]'

"$GEN" batch-status --prompt-file prompts.jsonl --out-dir out > status1.txt 2>&1; rc=$?
check "incomplete batch: exit 1 ($rc: $(cat status1.txt))" '[ $rc -eq 1 ]'
check "item 4 missing, named" 'grep -q "item 4 (line 5, shard 1/3): missing" status1.txt'
check "the continue command is shard 1s own, with --resume" 'grep -q "to continue: .*--shard auto/3.* --resume" status1.txt'

# Shard 1 again, as the scheduler retries the index: --resume skips item 1 and makes item 4.
JOB_COMPLETION_INDEX=1 "$GEN" $FLAGS/3 --resume > s1b.log 2>&1; rc=$?
check "shard 1 resumed ($rc: $(tail -2 s1b.log))" '[ $rc -eq 0 ]'
"$GEN" batch-status --prompt-file prompts.jsonl --out-dir out --shards 3 > status2.txt 2>&1; rc=$?
check "complete batch: exit 0 ($rc: $(cat status2.txt))" '[ $rc -eq 0 ] && grep -q "done 6, missing 0, duplicated 0, corrupt 0, invalid 0: COMPLETE" status2.txt'

# Independently of batch-status: 6 PNGs, every item's index once across the manifests, each file valid.
check "6 PNGs" '[ "$(ls out/*.png | wc -l)" -eq 6 ]'
python3 - out <<'PYEOF' > union.txt 2>&1
import glob, hashlib, json, sys, zlib
lines = [json.loads(l) for f in sorted(glob.glob(sys.argv[1] + "/manifest-*-of-3.jsonl")) for l in open(f)]
idx = sorted(l["index"] for l in lines)
assert idx == list(range(6)), f"indices {idx}"
for l in lines:
    data = open(l["path"], "rb").read()
    assert hashlib.sha256(data).hexdigest() == l["sha256"], l["path"]
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[-12:-8] == b"\x00\x00\x00\x00" and data[-8:-4] == b"IEND", l["path"]
    pos, idat = 8, b""
    while pos < len(data):  # every chunk's CRC, and the image data inflates
        n = int.from_bytes(data[pos:pos + 4], "big"); kind = data[pos + 4:pos + 8]
        assert zlib.crc32(data[pos + 4:pos + 8 + n]) == int.from_bytes(data[pos + 8 + n:pos + 12 + n], "big"), l["path"]
        if kind == b"IDAT": idat += data[pos + 8:pos + 8 + n]
        pos += 12 + n
    zlib.decompress(idat)
print("ok")
PYEOF
check "manifests: each index once, sha256 and PNG valid ($(cat union.txt))" '[ "$(cat union.txt)" = ok ]'

# A duplicate (an item recorded by two shards) and a damaged file are reported, exit 1.
head -1 out/manifest-0-of-3.jsonl >> out/manifest-2-of-3.jsonl
"$GEN" batch-status --prompt-file prompts.jsonl --out-dir out > status3.txt 2>&1; rc=$?
check "duplicate reported ($rc: $(cat status3.txt))" '[ $rc -eq 1 ] && grep -q "item 0 .*duplicated" status3.txt'
sed -i '$d' out/manifest-2-of-3.jsonl
f=$(ls out/*.png | head -1); printf 'x' | dd of="$f" bs=1 seek=100 conv=notrunc status=none
"$GEN" batch-status --prompt-file prompts.jsonl --out-dir out > status4.txt 2>&1; rc=$?
check "corrupt file reported ($rc: $(cat status4.txt))" '[ $rc -eq 1 ] && grep -q ": corrupt: $f" status4.txt'

# --shard auto without a scheduler's variables: a usage error naming them.
env -u SLURM_ARRAY_TASK_ID -u JOB_COMPLETION_INDEX -u SHARD_INDEX -u SHARD_COUNT "$GEN" $FLAGS > s.log 2>&1; rc=$?
check "no environment: exit 2 naming the variables ($rc: $(cat s.log))" '[ $rc -eq 2 ] && grep -q "SLURM_ARRAY_TASK_ID.*JOB_COMPLETION_INDEX.*SHARD_INDEX" s.log'

# The examples: the Kubernetes manifests parse and say what the recipe relies on; the sbatch script is valid bash.
python3 - "$ROOT/examples/kubernetes/indexed-job.yaml" <<'PYEOF' > yaml.txt 2>&1
import sys, yaml
docs = {d["kind"]: d for d in yaml.safe_load_all(open(sys.argv[1]))}
job = docs["Job"]["spec"]
assert "prompts.jsonl" in docs["ConfigMap"]["data"]
assert job["completionMode"] == "Indexed" and "backoffLimitPerIndex" in job
args = job["template"]["spec"]["containers"][0]["args"]
assert args[args.index("--shard") + 1] == f"auto/{job['completions']}", args
print("ok")
PYEOF
check "indexed-job.yaml ($(cat yaml.txt))" '[ "$(cat yaml.txt)" = ok ]'
check "generate.sbatch is valid bash with --shard auto" 'bash -n "$ROOT/examples/slurm/generate.sbatch" && grep -q -- "--shard auto --resume" "$ROOT/examples/slurm/generate.sbatch"'

finish
