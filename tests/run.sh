#!/usr/bin/env bash
# tests/run.sh [PATTERN] - run the unit tests and the fuzz regression replays, then
# the integration tests (real BPF on real processes, so root), and end with the
# line CI reads: "N passed, N failed".  BUILD_DIR and HEAPSCOPE (set by make test)
# say which build to test.
cd "$(dirname "$0")/.." || exit 2
pattern=${1:-}
passed=0
failed=0
failed_names=()

run() { # run NAME COMMAND...
	local name=$1; shift
	[ -n "$pattern" ] && [[ "$name" != *$pattern* ]] && return
	echo "== $name"
	local started=$SECONDS
	if "$@"; then
		passed=$((passed + 1)); echo "PASS $name ($((SECONDS - started)) s)"
	else
		failed=$((failed + 1)); failed_names+=("$name"); echo "FAIL $name ($((SECONDS - started)) s)"
	fi
}

build=${BUILD_DIR:-build} # build-san under make test SANITIZE=1
for unit in "$build"/tests/test_*; do
	[ -x "$unit" ] && run "unit/$(basename "$unit")" "$unit"
done
# Every fuzz harness over its seed corpus and the inputs that once crashed it.
for replay in "$build"/tests/replay_fuzz_*; do
	name=${replay##*/replay_}
	[ -x "$replay" ] && run "fuzz/$name" "$replay" "tests/fuzz/corpus/$name" \
		"tests/fuzz/regressions/$name"
done
if [ "$(id -u)" -ne 0 ]; then
	echo "integration tests need root (real BPF programs on real processes)"
	failed=$((failed + 1))
else
	for t in tests/integration/test_*.sh; do
		run "integration/$(basename "$t" .sh)" bash "$t"
	done
fi
[ ${#failed_names[@]} -gt 0 ] && echo "failed: ${failed_names[*]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
