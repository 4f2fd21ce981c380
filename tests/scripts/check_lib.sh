# Sourced by tests/scripts/test_*.sh: a scratch folder $T removed at exit, and check NAME 'CONDITION', which
# counts the condition as passed or prints "FAIL: NAME"; finish prints the closing "N passed, N failed" line
# (the form CI reads) and exits non-zero on any failure.
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
failures=0 passed=0
check() { if eval "$2"; then passed=$((passed+1)); else echo "FAIL: $1" >&2; failures=$((failures+1)); fi; }
finish() { echo "$passed passed, $failures failed"; [ $failures -eq 0 ]; }
