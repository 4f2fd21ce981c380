#!/usr/bin/env bash
# Builds the test suite with AddressSanitizer + UndefinedBehaviorSanitizer (-DSDXL_SANITIZE=ON) in
# build-asan/ and runs it under ctest.
#
#   scripts/sanitize.sh                 every stage (a full build: slow)
#   scripts/sanitize.sh -L io           only the io tests; ctest arguments pass through, and each plain
#                                       "-L LABEL" (a stage name) also limits the build to sdxl_tests_LABEL
#   scripts/sanitize.sh -L io -R Png    ...and only the tests matching Png
#
# Environment: SANITIZE_JOBS (build parallelism, default: all cores), CXX (compiler, default c++),
# ASAN_OPTIONS / LSAN_OPTIONS / UBSAN_OPTIONS (override the defaults below).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=build-asan

# Which test binaries to build: one per "-L stage" argument, everything otherwise.
targets=()
args=("$@")
for ((i = 0; i < ${#args[@]}; ++i)); do
  if [ "${args[i]}" = "-L" ] && [ $((i + 1)) -lt ${#args[@]} ]; then
    label=${args[i + 1]}
    if [[ "$label" =~ ^[a-z]+$ ]] && [ -d "tests/$label" ]; then
      targets+=("sdxl_tests_$label")
      [ "$label" = cli ] && targets+=(sdxl-gen)  # the CLI tests run the executable
    else
      targets=(all)  # a label regex: build everything
      break
    fi
  fi
done
[ ${#targets[@]} -gt 0 ] || targets=(all)

if [ ! -f "$BUILD/build.ninja" ]; then
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSDXL_SANITIZE=ON \
    ${CXX:+-DCMAKE_CXX_COMPILER="$CXX"} -DCMAKE_PREFIX_PATH="$(scripts/torch_cmake_prefix.sh)" >/dev/null
fi
cmake --build "$BUILD" -j"${SANITIZE_JOBS:-$(nproc)}" --target "${targets[@]}"

# Sanitizer settings for a program linked to libtorch (an uninstrumented shared library). Measured on
# the io stage: every test passes with ASan's defaults too (leak checking on); these add checks and keep
# the rest of the suite usable:
#  allocator_may_return_null=1  an impossible allocation throws std::bad_alloc (or returns null from
#                            nothrow new) as it does without ASan, so the out-of-memory paths run as in
#                            production instead of ASan aborting the test.
#  detect_stack_use_after_return=1, check_initialization_order=1, strict_string_checks=1: extra checks.
#  LeakSanitizer stays on, with leaks allocated inside libtorch/c10 (process-lifetime registries, thread
#  pools, allocator caches) suppressed: a leak of ours is still reported when our own frames allocated it.
#  protect_shadow_gap=0      added when a GPU is visible: the CUDA driver maps memory inside ASan's
#                            shadow gap and fails to initialise otherwise.
# If libtorch leaks still fail a run, ASAN_OPTIONS=detect_leaks=0 turns leak checking off (the libFuzzer
# targets, scripts/fuzz.sh, check our parsers for leaks independently).
# UBSan recovers by default (gcc): halt_on_error=1 makes every report fail its test.
printf 'leak:libtorch_cpu.so\nleak:libtorch.so\nleak:libc10.so\nleak:libgomp\n' >"$BUILD/lsan.supp"
asan="detect_leaks=1:allocator_may_return_null=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_string_checks=1"
if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then asan="$asan:protect_shadow_gap=0"; fi
export ASAN_OPTIONS="${ASAN_OPTIONS:-$asan}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$PWD/$BUILD/lsan.supp:print_suppressions=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

cd "$BUILD"
ctest --output-on-failure "$@"
