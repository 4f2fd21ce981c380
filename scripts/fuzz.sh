#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/, clang, ASan+UBSan) in build-fuzz/ and runs one of them.
#
#   scripts/fuzz.sh TARGET SECONDS      fuzz TARGET for SECONDS, starting from fuzz/corpus/TARGET
#   scripts/fuzz.sh TARGET FILE...      replay inputs (e.g. a saved crash) once each, then exit
#   scripts/fuzz.sh --list              print the targets
#
# Targets: safetensors_header tokenizer prompt_file png image size_args server_request (see docs/robustness.md).
# Exit status: 0 when the run ended with no crash, leak, timeout, OOM or sanitizer report; non-zero
# otherwise. Crashing inputs are kept in build-fuzz/artifacts/TARGET/ (crash-*, leak-*, timeout-*,
# oom-*); new coverage-increasing inputs go to build-fuzz/corpus/TARGET/ (the seeds in git are only
# read). The full log is build-fuzz/logs/TARGET.log.
#
# Environment: FUZZ_JOBS (build parallelism, default 1), FUZZ_TIMEOUT (seconds one input may take,
# default 10), FUZZ_RSS_MB (memory limit, default 3072: libtorch + ASan start near 500 MB),
# FUZZ_ARGS (extra libFuzzer flags, e.g. "-max_len=65536 -dict=..."), CXX (default clang++).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD="$ROOT/build-fuzz"
TARGETS="safetensors_header tokenizer prompt_file png image size_args server_request"

usage() {
  sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

[ $# -ge 1 ] || usage
if [ "$1" = "--list" ]; then
  echo "$TARGETS" | tr ' ' '\n'
  exit 0
fi
[ $# -ge 2 ] || usage
TARGET=$1
shift
case " $TARGETS " in
  *" $TARGET "*) ;;
  *) echo "fuzz.sh: unknown target '$TARGET' (targets: $TARGETS)" >&2; exit 2 ;;
esac

# Build (configure once; ninja rebuilds what changed in src/ or fuzz/).
if [ ! -f "$BUILD/build.ninja" ]; then
  cmake -S fuzz -B "$BUILD" -G Ninja -DCMAKE_CXX_COMPILER="${CXX:-clang++}" \
    -DCMAKE_PREFIX_PATH="$(scripts/torch_cmake_prefix.sh)" >/dev/null
fi
ninja -C "$BUILD" -j"${FUZZ_JOBS:-1}" "fuzz_$TARGET"

# Sanitizer settings: every report is fatal so libFuzzer saves the input. Leaks are checked
# (libFuzzer runs LeakSanitizer after inputs that allocated more than they freed).
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
# prompt_file writes each input to a temp file: keep that in memory when possible.
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then export TMPDIR=/dev/shm; fi

ARTIFACTS="$BUILD/artifacts/$TARGET"
CORPUS="$BUILD/corpus/$TARGET"
LOG="$BUILD/logs/$TARGET.log"
mkdir -p "$ARTIFACTS" "$CORPUS" "$(dirname "$LOG")"
COMMON=(-timeout="${FUZZ_TIMEOUT:-10}" -rss_limit_mb="${FUZZ_RSS_MB:-3072}" -artifact_prefix="$ARTIFACTS/")
DICT="$ROOT/fuzz/dict/$TARGET.dict"  # tokens libFuzzer splices in (big numbers, chunk names, JSON keys)
[ -f "$DICT" ] && COMMON+=(-dict="$DICT")
# shellcheck disable=SC2206
EXTRA=(${FUZZ_ARGS:-})

if [[ "$1" =~ ^[0-9]+$ ]] && [ $# -eq 1 ]; then
  SECONDS_TO_RUN=$1
  echo "fuzz.sh: fuzzing $TARGET for ${SECONDS_TO_RUN}s (log: $LOG)"
  set +e
  "$BUILD/fuzz_$TARGET" "${COMMON[@]}" -max_total_time="$SECONDS_TO_RUN" -print_final_stats=1 \
    "${EXTRA[@]}" "$CORPUS" "$ROOT/fuzz/corpus/$TARGET" >"$LOG" 2>&1
  status=$?
  set -e
else
  echo "fuzz.sh: replaying $# input(s) on $TARGET (log: $LOG)"
  set +e
  "$BUILD/fuzz_$TARGET" "${COMMON[@]}" "${EXTRA[@]}" "$@" >"$LOG" 2>&1
  status=$?
  set -e
fi

# Summary: libFuzzer's final stats, and every report line.
grep -E '^(#[0-9]+[[:space:]]+DONE|stat::|Done [0-9]+ runs|INFO: seed corpus)' "$LOG" || true
if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|FUZZ_CHECK failed|SUMMARY: |Test unit written' "$LOG"; then
  grep -E 'ERROR: |runtime error:|FUZZ_CHECK failed|SUMMARY: |Test unit written|terminate called|what\(\):' "$LOG" | head -20
  [ "$status" -ne 0 ] || status=1
fi
if [ "$status" -ne 0 ]; then
  echo "fuzz.sh: $TARGET FAILED (exit $status); inputs kept in $ARTIFACTS/, log $LOG" >&2
else
  echo "fuzz.sh: $TARGET ok"
fi
exit "$status"
